/**
 * The root of rptun's core: {@link io.rptun.core.RptunException}, the base of every typed exception the
 * library throws (each subclass has a {@code reason()} enum to match on), and the packages below, one per
 * layer of OpenAMP and NuttX, each depending only on the ones listed before it (PackageCyclesTest keeps it
 * so):
 *
 * <ul>
 *   <li>{@code memory}: little-endian wire layouts, ordered access to shared memory, the address
 *       environment (pa to da) and {@code SharedRegion}, which checks every address a peer wrote.</li>
 *   <li>{@code rsc}: the resource table: records for every entry, the parser, the writer, the live fields
 *       both sides change while running, and NuttX's {@code rptun_rsc_s} and command mailbox.</li>
 *   <li>{@code heap}: the carveout heap the rpmsg buffers come from.</li>
 *   <li>{@code virtio}: split vrings in both roles and the lock-free {@code VirtqueuePort}.</li>
 *   <li>{@code layout}: the planner that places the table, the vrings and the heap in the shared region.</li>
 *   <li>{@code rpmsg}: devices in either role, endpoints, the name service, zero-copy, doorbells and the
 *       serving thread.</li>
 *   <li>{@code socket} and {@code nuttx}: on top of rpmsg, NuttX's rpmsg sockets and its ping, syslog and
 *       tty services.</li>
 *   <li>{@code openamp}: OpenAMP's Linux demo machine (its table, memory map and device set-up).</li>
 *   <li>{@code lifecycle}: {@code Rptun}, one link's states from start to stop, reset and peer loss, over
 *       the {@code RptunDriver} SPI (NuttX's {@code rptun_ops}).</li>
 *   <li>{@code loopback}: both sides in one JVM, for tests, demos and benchmarks: two rpmsg devices over
 *       one segment, and a master and a remote driver for the lifecycle.</li>
 * </ul>
 *
 * The simulator's drivers (a shared file, futexes, OpenAMP's socket, NuttX's simulator) are in
 * {@code io.rptun.sim}; the reactive API in {@code io.rptun.reactive}.
 */
@NullMarked
package io.rptun.core;

import org.jspecify.annotations.NullMarked;
