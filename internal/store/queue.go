package store

import "time"

// QueueHealth is the state of one work queue, for operators: how many items
// wait, how many are being retried after a failure, how many gave up, and
// the reasons of the latest problems. Modules fill it from their own tables.
type QueueHealth struct {
	Queue    string // stable name, e.g. "federation.outbox"
	Waiting  int    // due or not yet tried
	Retrying int    // failed at least once, will be tried again
	Failed   int    // given up; needs a person
	Oldest   time.Time
	Problems []QueueProblem
}

// QueueProblem is one item that failed, with the reason it gave.
type QueueProblem struct {
	ID        string
	Peer      string
	What      string // a safe summary: message type or query, never content
	State     string // "retrying" or "failed"
	Attempts  int
	NextTry   time.Time
	LastError string
	Since     time.Time
}

// MaxQueueProblems is how many problem rows a queue reports.
const MaxQueueProblems = 20
