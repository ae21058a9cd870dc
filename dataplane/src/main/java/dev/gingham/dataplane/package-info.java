/**
 * Pipeline programs, policy, ipcache, agents, configuration, CLI, replay and fuzz. (Later issues.)
 *
 * <p>This module holds only its package declaration until its issue starts; see docs/architecture.md.
 */
package dev.gingham.dataplane;
