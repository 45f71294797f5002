package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Test-only access to what production code never hands out.

func (tx *Tx) Conn() *pgxpool.Conn   { return tx.conn }
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
func (a *Admin) Pool() *pgxpool.Pool { return a.pool }
