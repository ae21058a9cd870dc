/**
 * Flow events (Hubble-like): fixed 64-byte records in per-worker single-producer rings, the
 * worker-side writer with filters and sampling, the drop reporter, and the reader that decodes
 * records into named events for the monitor command and the API.
 */
package dev.gingham.dataplane.flow;
