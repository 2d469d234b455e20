/**
 * Shared memory: little-endian wire layouts, ordered access to shared words, and the address environment
 * ({@code get_addrenv} windows) with the local mapping that checks every untrusted address. The plan that
 * places the resource table, the vrings and the carveout heap lives in {@code io.rptun.core.layout}.
 *
 * <h2>Memory model</h2>
 * Every structure in the shared region is written by one side and read by the other, possibly at the
 * same time. Fields that the peer reads while we run are published with release stores and read with
 * acquire loads ({@link io.rptun.core.memory.SharedAccess}); the Javadoc of each such accessor says
 * who writes the field, who reads it, and what must be visible before it. Packed C structures may put
 * a field at an address that is not a multiple of its size; there the accessors fall back to a plain
 * access fenced on the correct side, which gives the same acquire/release guarantee.
 *
 * <h2>Untrusted addresses</h2>
 * Every address read from shared memory is translated through the address environment and then checked
 * against the local mapping before any byte is touched ({@link io.rptun.core.memory.SharedRegion}).
 */
@NullMarked
package io.rptun.core.memory;

import org.jspecify.annotations.NullMarked;
