/**
 * A loopback remote over a shared memory-mapped file (work in progress: see the simulator issue).
 */
@NullMarked
package io.rptun.sim;

import org.jspecify.annotations.NullMarked;
