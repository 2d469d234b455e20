/**
 * The shared-memory layout planner: where the resource table, the vrings, the carveouts and each vdev's
 * heap live in one shared region, computed before anything is written
 * ({@link io.rptun.core.layout.SharedMemoryPlanner#plan}).
 *
 * <pre>
 * offset 0                                                                  regionSize
 * +-------+-------+---------------------------------------------------------------+
 * | table | (gap) | carveout i (paired with vdev i)                               |
 * |       |       | +----------+----------+----------------------------------+   |
 * |       |       | | vring0   | vring1   | heap                             |   |
 * |       |       | |          |          | RX buffers | TX buffers (lazily) |   |
 * |       |       | +----------+----------+----------------------------------+   |
 * +-------+-------+---------------------------------------------------------------+
 *   table | vrings | carveout heap
 * </pre>
 *
 * A vdev without a carveout (NuttX's seed table, OpenAMP's Linux demo) has its vrings and heap directly
 * in the region: {@code table | vring0 | vring1 | heap to the region's end}. Every address written into
 * the table goes offset &rarr; pa (the region's base pa plus the offset) &rarr; da (the address
 * environment); every static address from the table goes da &rarr; pa &rarr; offset and must lie wholly
 * inside the region.
 *
 * <h2>Memory model</h2>
 * Planning touches no shared memory: {@link io.rptun.core.layout.MemoryPlan} is an immutable value.
 * Only {@link io.rptun.core.layout.MemoryPlan#apply} writes: it zeroes the vrings with plain stores, then
 * writes each vring's da with release, so a peer that reads a da with acquire sees a zeroed vring there.
 * The master must still publish DRIVER_OK (with release) only after apply returns.
 */
@NullMarked
package io.rptun.core.layout;

import org.jspecify.annotations.NullMarked;
