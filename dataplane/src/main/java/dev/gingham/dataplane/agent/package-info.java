/**
 * The threads of a node (DESIGN.md §4): {@link dev.gingham.dataplane.agent.WorkerAgent}s poll
 * their ports, run the node pipeline over each burst and transmit; the
 * {@link dev.gingham.dataplane.agent.ControlAgent} applies changes to the maps and sweeps
 * conntrack. Agrona agents, so one thread can run everything (tests, laptops) or each agent gets
 * its own thread.
 */
package dev.gingham.dataplane.agent;
