package main

// Blob storage drivers FRONTDESK_BLOB_URL may name: file://, s3://, gs://.
import (
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)
