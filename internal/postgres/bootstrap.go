package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Role names. The owner runs migrations and admin commands and bypasses RLS
// (it is also the definer of the auth_* functions); the app role is what
// serve uses, and has neither ownership nor BYPASSRLS.
const (
	OwnerRole = "frontdesk_owner"
	AppRole   = "frontdesk_app"
)

// Bootstrap creates the two roles and the database on a cluster where
// superURL is a superuser, if they do not exist yet. frontdesk dev and the
// test kit use it; a production database is prepared by its operator the
// same way (README, "Production database").
func Bootstrap(ctx context.Context, superURL, dbName string) error {
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(context.Background())

	roles := []struct{ name, attrs string }{
		{OwnerRole, "LOGIN NOSUPERUSER NOCREATEROLE BYPASSRLS"},
		{AppRole, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT NOREPLICATION"},
	}
	for _, r := range roles {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", r.name).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE ROLE %s %s", r.name, r.attrs)); err != nil {
				return fmt.Errorf("create role %s: %w", r.name, err)
			}
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbName).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgx.Identifier{dbName}.Sanitize(), OwnerRole)); err != nil {
			return fmt.Errorf("create database %s: %w", dbName, err)
		}
	}
	return nil
}
