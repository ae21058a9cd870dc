/**
 * Structure-aware fuzzing of the dataplane: seeded, allocation-free generators of valid frames
 * at every layer ({@link dev.gingham.dataplane.fuzz.FrameGenerator}) and their mutations
 * ({@link dev.gingham.dataplane.fuzz.FrameMutator}), flows floods
 * ({@link dev.gingham.dataplane.fuzz.FlowFlood}), the invariants every emitted frame must keep
 * ({@link dev.gingham.dataplane.fuzz.InvariantChecker}), the harness that runs a vector through
 * any target and checks them ({@link dev.gingham.dataplane.fuzz.FuzzHarness}), the loop the fuzz
 * command runs ({@link dev.gingham.dataplane.fuzz.FuzzRun}) and reproducer captures
 * ({@link dev.gingham.dataplane.fuzz.ReproducerWriter}). See docs/architecture.md, "replay and
 * fuzz".
 */
package dev.gingham.dataplane.fuzz;
