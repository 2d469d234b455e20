/**
 * Split virtqueues (vrings), the raw ABI of OpenAMP's {@code virtio_ring.h}: for now the placement of the
 * descriptor table, the avail ring and the used ring ({@link io.rptun.core.virtio.VringLayout}), which the
 * shared-memory planner uses to size each vring.
 *
 * <h2>Memory model</h2>
 * {@link io.rptun.core.virtio.VringLayout} only computes offsets and touches no memory. The vring
 * structures themselves (descriptor, avail and used accessors with release/acquire ordering, the
 * driver's and device's local index shadows) come with the vring work; their Javadoc will say who writes
 * each field, who reads it and what must be visible before it.
 */
@NullMarked
package io.rptun.core.virtio;

import org.jspecify.annotations.NullMarked;
