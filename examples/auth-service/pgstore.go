package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schema is created at startup. Two auth servers sharing one database may
// start at once: the advisory lock in pgStore.migrate serialises them
// (CREATE TABLE IF NOT EXISTS alone can fail with a unique violation on
// pg_type when two sessions race).
const schema = `CREATE TABLE IF NOT EXISTS users (
	user_id    text PRIMARY KEY,
	user_name  text NOT NULL,
	email      text NOT NULL,
	pw_hash    bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`

// schemaLock is the advisory lock key taken while creating the schema.
const schemaLock = 0x617574685f737663 // "auth_svc"

// pgStore is the -store postgres backend: users in table users.
type pgStore struct {
	pool *pgxpool.Pool
}

// defaultConns sizes the pool: enough connections for every core to have
// a query in flight while another waits on the network, and no more (each
// PostgreSQL connection is a process; two auth servers share one server).
func defaultConns() int {
	return max(4, 2*runtime.GOMAXPROCS(0))
}

// openPG connects to dsn with a pool of conns connections (0: defaultConns)
// and creates the schema. The database may still be starting: it retries
// until wait has passed (or ctx ends), then returns the last error.
func openPG(ctx context.Context, dsn string, conns int, wait time.Duration, logf func(string, ...any)) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: -db / DATABASE_URL: %v", errBadFlag, err)
	}
	if conns <= 0 {
		conns = defaultConns()
	}
	cfg.MaxConns = int32(conns)
	cfg.MinConns = 1
	cfg.MaxConnIdleTime = time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	s := &pgStore{pool: pool}
	deadline := time.Now().Add(wait)
	for try := 1; ; try++ {
		err = s.migrate(ctx)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("database %s:%d/%s not usable after %v (%d tries): %w; is PostgreSQL running there? (-store memory needs no database)",
				cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, wait, try, err)
		}
		if try == 1 {
			logf("auth-service: waiting for the database (%v)", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *pgStore) migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, schema); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (s *pgStore) Add(ctx context.Context, id string, rec Record) (bool, error) {
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO users (user_id, user_name, email, pw_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING`,
		id, rec.UserName, rec.Email, rec.PwHash[:])
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (s *pgStore) Get(ctx context.Context, id string) (Record, bool, error) {
	var rec Record
	var hash []byte
	err := s.pool.QueryRow(ctx, `SELECT user_name, email, pw_hash FROM users WHERE user_id = $1`, id).
		Scan(&rec.UserName, &rec.Email, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	if len(hash) != len(rec.PwHash) {
		return Record{}, false, fmt.Errorf("user %q: pw_hash has %d bytes, want %d", id, len(hash), len(rec.PwHash))
	}
	copy(rec.PwHash[:], hash)
	return rec, true, nil
}

func (s *pgStore) Count(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func (s *pgStore) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
func (s *pgStore) Close()                         { s.pool.Close() }
