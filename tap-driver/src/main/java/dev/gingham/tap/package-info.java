/**
 * TAP devices through java.lang.foreign downcalls: open, ioctl, nonblocking read and write into pool buffers. (TAP driver and daemon issue.)
 *
 * <p>This module holds only its package declaration until its issue starts; see docs/architecture.md.
 */
package dev.gingham.tap;
