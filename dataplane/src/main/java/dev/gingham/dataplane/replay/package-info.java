/**
 * Capture files in and out: a memory-mapped reader for classic pcap and pcapng that hands frames
 * to a {@link dev.gingham.packet.FrameVector} without allocating per frame, writers for both
 * formats that Wireshark and tshark open without warnings, and {@link
 * dev.gingham.dataplane.replay.CaptureFeed}, which fills vectors from a capture with each
 * frame's timestamp (the replay's virtual clock) and ingress port. The replay command wires these
 * to the pipeline; see docs/architecture.md, "replay and fuzz".
 */
package dev.gingham.dataplane.replay;
