package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// Leadership chooses the one instance of a node that runs its background
// work (federation delivery, answering queries, deadlines, retention,
// draining the audit outbox) when several `liaison serve` processes share
// one PostgreSQL database. The leader holds a session-level advisory lock
// on a connection of its own: when the process dies, PostgreSQL closes
// the connection and releases the lock, and another instance takes over
// at its next try. On SQLite there is only ever one instance (the data
// directory is locked), which leads at once.
type Leadership struct {
	st     *Store
	name   string
	retry  time.Duration
	logger *slog.Logger
	leader atomic.Bool
	pid    atomic.Int64 // the lock connection's server process while leading
}

// NewLeadership prepares an election among the instances of the node
// named name; retry is how often a follower tries to take over and how
// often the leader checks that it still holds the lock. The lock is named
// after the schema and the node, so nodes that share a PostgreSQL server
// (tests, small hosting) elect their leaders apart.
func (s *Store) NewLeadership(name string, retry time.Duration, logger *slog.Logger) *Leadership {
	return &Leadership{st: s, name: name, retry: retry, logger: logger}
}

// leaderLockKey is the advisory lock's key, computed by the server.
const leaderLockKey = `hashtextextended(current_schema() || ':liaison-leader:' || $1, 0)`

// IsLeader reports whether this instance leads now.
func (l *Leadership) IsLeader() bool { return l.leader.Load() }

// Run runs lead while this instance is the leader, until ctx ends. lead
// gets a context that is cancelled when leadership is lost; Run waits for
// it to return before it tries to lead again, so two leaders never run
// the work of one node at once within this process.
func (l *Leadership) Run(ctx context.Context, lead func(ctx context.Context)) {
	if l.st.Dialect != Postgres {
		l.leader.Store(true)
		lead(ctx)
		l.leader.Store(false)
		return
	}
	for ctx.Err() == nil {
		conn, ok := l.acquire(ctx)
		if ok {
			l.logger.Info("this instance leads the node's background work")
			l.leader.Store(true)
			l.hold(ctx, conn, lead)
			l.leader.Store(false)
			l.pid.Store(0)
			// Unlocking on a connection that may be broken: closing it
			// releases the lock anyway.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock(`+leaderLockKey+`)`, l.name)
			cancel()
			conn.Close()
			if ctx.Err() == nil {
				l.logger.Warn("this instance lost the leadership; another instance takes over")
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.retry):
		}
	}
}

// acquire tries once to take the lock on a connection of its own.
func (l *Leadership) acquire(ctx context.Context) (*sql.Conn, bool) {
	conn, err := l.st.write.Conn(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.logger.Warn("leader election: cannot reach the database", "err", err)
		}
		return nil, false
	}
	var got bool
	var pid int64
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+leaderLockKey+`), pg_backend_pid()`, l.name).Scan(&got, &pid); err != nil || !got {
		if err != nil && ctx.Err() == nil {
			l.logger.Warn("leader election failed", "err", err)
		}
		conn.Close()
		return nil, false
	}
	l.pid.Store(pid)
	return conn, true
}

// hold runs lead and checks the lock's connection every retry interval;
// a connection that fails ends the leadership.
func (l *Leadership) hold(ctx context.Context, conn *sql.Conn, lead func(ctx context.Context)) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	t := time.NewTicker(l.retry)
	defer t.Stop()
	for {
		select {
		case <-done:
			cancel()
			return
		case <-ctx.Done():
			cancel()
			<-done
			return
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, l.retry)
			err := conn.PingContext(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				l.logger.Error("the leader's database connection failed; stopping background work", "err", err)
				cancel()
				<-done
				return
			}
		}
	}
}

// Abandon ends the lock's database session at once, as when the
// leader's process dies; tests use it to make another instance take over.
func (l *Leadership) Abandon(ctx context.Context) error {
	if pid := l.pid.Load(); pid != 0 {
		_, err := l.st.write.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid)
		return err
	}
	return nil
}
