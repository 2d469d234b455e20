/**
 * rpmsg sockets, wire-compatible with NuttX's {@code AF_RPMSG} ({@code net/rpmsg/rpmsg_sockif.c}): byte
 * streams and datagrams between applications on the two sides of an rpmsg device, with a credit window per
 * connection, built only on the public API of {@link io.rptun.core.rpmsg.RpmsgDevice} and {@link
 * io.rptun.core.rpmsg.RpmsgEndpoint}.
 *
 * <h2>The classes</h2>
 * <ul>
 *   <li>{@link io.rptun.core.socket.RpmsgSocket}: one connection (connecting, or accepted), blocking and
 *       non-blocking reads and writes with {@link java.time.Duration} timeouts.</li>
 *   <li>{@link io.rptun.core.socket.RpmsgServerSocket}: a listening stream socket with a backlog and an
 *       optional cpu.</li>
 *   <li>{@link io.rptun.core.socket.SocketMessageLayout}: the SYNC, DATA and SHUTDOWN messages;
 *       {@link io.rptun.core.socket.SocketNames}: endpoint names, NuttX's CRC-32, the listener's prefix
 *       match.</li>
 *   <li>{@code SocketState} and {@code ReceiveWindow} (package-private): the counters, the ends, the
 *       inbound checks and the window a connection copies into.</li>
 * </ul>
 *
 * <h2>Connecting</h2>
 * A stream client creates the endpoint {@code s:NAME:N} (N a counter in hex) and announces it. A listener
 * on NAME hears the announcement through the name service, creates an endpoint of the same name bound to
 * the client's address (with F_ACK that acknowledgement binds the client; without it, the first message
 * does) and sends its SYNC; the client sends its own when its endpoint is bound. Either side may write once
 * it has the other's SYNC (the other's window). Datagram sockets have no listener: both sides open
 * {@code s:NAME} and the name service pairs the two endpoints.
 *
 * <h2>Credit</h2>
 * Positions are u32 byte counters: {@code sendPos} (sent), {@code ackPos} (the peer's latest read
 * position), our read position and {@code lastAck} (our read position when we last told the peer). We send
 * at most {@code peerWindow - (sendPos - ackPos)}; every DATA carries our read position; a DATA alone goes
 * when more than half our window was read since {@code lastAck}. Inbound data is copied into the window
 * inside the endpoint callback, so the RX buffer goes back at once: a connection whose reader stopped holds
 * its window's bytes on the heap and stalls its sender, and never a ring buffer. A datagram counts 4 bytes
 * more (its length prefix), as in NuttX.
 *
 * <h2>Memory model</h2>
 * Nothing here touches shared memory except through the rpmsg layer: a DATA is written into a TX buffer
 * the sender holds and published by the ring (see {@link io.rptun.core.rpmsg}); an inbound message is
 * read inside its callback, before the RX buffer goes back. All of a connection's state is guarded by one
 * lock per connection, taken briefly by the serving thread for each message and by readers and writers;
 * waiting happens on its condition, never while holding a TX or RX buffer. A DATA is handed to the ring
 * while that lock is held, so the read positions we send never go backwards (NuttX's can, when two of its
 * threads send; we ignore a position that goes back by less than a window). Each write additionally holds
 * a write lock for its whole length, so concurrent writes do not interleave. Lock order: write lock, then
 * the connection's lock, then the rpmsg layer's own.
 *
 * <h2>Threads</h2>
 * Inbound messages and bindings run on the device's serving thread; a listener's connections are created
 * there. Nothing on that thread waits for credit or data; it sends SYNCs (which may wait for a TX buffer,
 * serving the ring meanwhile, as every rpmsg send from a callback does). Acknowledgements never wait: with
 * no TX buffer free, the connection asks the device to tell it when one is and sends it then.
 *
 * <h2>Untrusted peer</h2>
 * Every length and position is checked ({@link io.rptun.core.socket.SocketException.Reason}); a protocol
 * error destroys that connection's endpoint and nothing else.
 */
@NullMarked
package io.rptun.core.socket;

import org.jspecify.annotations.NullMarked;
