// Package middleware stands in for chi's HTTP server middleware, of which
// rekor's logger (linked through cosign) uses one thing: the context key of
// a request's ID, which it both sets and reads. A key of the same kind here
// behaves the same, and release builds no longer initialise chi's server
// middleware (about 1 ms of every start-up).
package middleware

type ctxKeyRequestID int

// RequestIDKey is the context key of a request's ID.
const RequestIDKey ctxKeyRequestID = 0
