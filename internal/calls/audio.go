package calls

import "bytes"

// AudioType is the audio format the first bytes of a recording show
// ("audio/wav", "audio/mpeg", ...), or "" when they are not audio. A
// provider's or a store's Content-Type is never taken on trust: an HTML
// page labelled audio/wav is not a recording.
func AudioType(head []byte) string {
	switch {
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WAVE")):
		return "audio/wav"
	case bytes.HasPrefix(head, []byte("ID3")),
		len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0 && head[1]&0x06 != 0: // MPEG audio frame sync, a layer set
		return "audio/mpeg"
	case bytes.HasPrefix(head, []byte("OggS")):
		return "audio/ogg"
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "audio/flac"
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")):
		return "audio/mp4"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "audio/webm"
	}
	return ""
}
