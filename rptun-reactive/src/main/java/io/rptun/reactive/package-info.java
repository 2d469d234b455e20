/**
 * rpmsg endpoints as backpressured Reactor streams, shaped like reactor-netty: {@link
 * io.rptun.reactive.RpmsgReactive} over a device ({@code announcements()}, {@code open(name)}, {@code
 * serve(name, handler)}), {@link io.rptun.reactive.RpmsgChannel} per endpoint ({@code receive()},
 * {@code sendBytes/sendByteBuffers/sendWith}, {@code close()}).
 *
 * <h2>Backpressure end to end</h2>
 * Receive demand drives the ring: without demand a channel holds messages zero-copy (the RX buffers stay
 * with this side) up to {@link io.rptun.reactive.ReactiveOptions#receiveBound()}. Every endpoint of a device
 * shares its rings, so a channel that left a message in the RX ring would hold back what arrived behind it
 * for every other endpoint (head-of-line). By default ({@link io.rptun.reactive.ReceiveOverflow#COPY}) it
 * therefore copies what arrives past the bound to the heap and gives the RX buffer back, within a copy
 * budget per channel and one per device; only past a budget does it pause the endpoint in the core, so the
 * next message stays in the RX ring, the remote runs out of TX buffers and waits, and the whole link with it
 * until the receiver reads. {@link io.rptun.reactive.ReceiveOverflow#PAUSE} pauses at the bound (no copies,
 * link-wide); each pause is counted in {@link io.rptun.reactive.ChannelStats} and logged. Sends ask their publisher only for what free TX buffers can take (a bounded prefetch refilled as
 * buffers go out) and never block a thread: the core's TX-available listener resumes them.
 *
 * <h2>Buffer lifetime</h2>
 * A received message is a zero-copy view of an RX buffer, valid inside {@code onNext} only unless retained
 * ({@link io.rptun.core.rpmsg.RpmsgMessage#retain()}, then {@code release()}) or copied ({@code copy()}).
 * What a channel queued is released on cancellation, error and close, after the discard hook saw it.
 *
 * <h2>Threads</h2>
 * Nothing here blocks the device's serving thread. Receive signals arrive on the serving thread (demand
 * present, nothing queued) or on the requesting thread; send work happens on the publisher's thread, the
 * serving thread or a releasing thread; name-service events on the serving thread. Each public type says
 * which.
 *
 * <h2>Errors</h2>
 * Failures of the device reach every subscriber (receive, send, open, announcements) as the core's typed
 * {@link io.rptun.core.rpmsg.RpmsgException} (PEER_LOST, DEVICE_CLOSED, DEVICE_BROKEN); this layer's own are
 * {@link io.rptun.reactive.RpmsgReactiveException} with a reason. Nothing throws checked exceptions; time is
 * {@link java.time.Duration}; no two overloads differ only by a functional-interface type.
 */
@NullMarked
package io.rptun.reactive;

import org.jspecify.annotations.NullMarked;
