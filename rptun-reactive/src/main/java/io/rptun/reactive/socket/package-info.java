/**
 * rpmsg sockets ({@link io.rptun.core.socket}) as Reactor streams, shaped like reactor-netty's {@code
 * TcpServer} / {@code TcpClient}: {@link io.rptun.reactive.socket.SocketServer} binds a name with a handler
 * {@code (inbound, outbound) -> Publisher<Void>}, {@link io.rptun.reactive.socket.SocketClient#connect()} is a
 * {@code Mono} of a {@link io.rptun.reactive.socket.SocketConnection}, whose {@code inbound().receive()} is a
 * {@code Flux<byte[]>} (byte chunks of a stream, or datagrams) and {@code outbound().send(Publisher)} a
 * {@code Mono<Void>}.
 *
 * <h2>Demand is the credit</h2>
 * A chunk is taken out of the connection's receive window only when the subscriber asked for one, and the
 * peer gets its credit back only for what was taken: a subscriber that stops requesting stalls its sender
 * at the window (1,024 bytes by default) and nothing else on the device, since no ring buffer is held. A
 * send asks its publisher for one element at a time and writes it as credit and TX buffers allow, never
 * blocking a thread: the connection's {@link io.rptun.core.socket.SocketListener} resumes it.
 *
 * <h2>Threads</h2>
 * Receive signals arrive on the requesting thread or the device's serving thread (data arrived); sends
 * progress on the publisher's thread, the serving thread (credit came back) or a thread that freed a TX
 * buffer. A server's handler is called on the serving thread (a connection arrived): it must not block.
 * {@code connect()} and {@code bind()} do their blocking part (creating the endpoint, which may wait for a TX
 * buffer; waiting for the peer's SYNC) on {@code Schedulers.boundedElastic()}.
 *
 * <h2>Memory model</h2>
 * Each public operator keeps its state in one drain loop guarded by a work-in-progress counter (the
 * Reactor idiom): signals from any thread increment it, the thread that took it from 0 runs the loop, so
 * the loop's plain fields are only ever touched by one thread at a time, with the counter's atomic
 * read-modify-write ordering one loop pass before the next.
 */
@NullMarked
package io.rptun.reactive.socket;

import org.jspecify.annotations.NullMarked;
