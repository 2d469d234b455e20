package io.rptun.core.socket;

import java.util.Objects;

/**
 * How a socket behaves. Immutable; start from {@link #stream()} or {@link #datagram()} and change fields
 * with the {@code withXxx} methods.
 *
 * @param type stream or datagram
 * @param receiveBuffer our receive window in bytes, announced in our SYNC: the most the peer may send us
 *     unacknowledged, and the heap this connection holds for it (NuttX's {@code SO_RCVBUF}, default
 *     {@value #DEFAULT_RECEIVE_BUFFER} as {@code CONFIG_NET_RPMSG_RXBUF_SIZE}); a larger one lets a fast
 *     reader take more per acknowledgement
 * @param backlog how many accepted connections a listening socket queues before it refuses more
 * @param maxPeerWindow the largest window we believe a peer's SYNC (larger is a {@link
 *     SocketException.Reason#BAD_WINDOW}); at most 2^30, so that positions modulo 2^32 stay unambiguous
 * @param credentials what our SYNC says about us
 */
public record SocketOptions(
        SocketType type,
        int receiveBuffer,
        int backlog,
        int maxPeerWindow,
        SocketCredentials credentials) {

    /** NuttX's {@code CONFIG_NET_RPMSG_RXBUF_SIZE} default. */
    public static final int DEFAULT_RECEIVE_BUFFER = 1024;
    /** The largest window either side may have. */
    public static final int MAX_WINDOW = 1 << 30;

    /** Checks the values. */
    public SocketOptions {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(credentials, "credentials");
        if (receiveBuffer < 1 || receiveBuffer > MAX_WINDOW) {
            throw new IllegalArgumentException("receiveBuffer=" + receiveBuffer);
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog=" + backlog);
        }
        if (maxPeerWindow < 1 || maxPeerWindow > MAX_WINDOW) {
            throw new IllegalArgumentException("maxPeerWindow=" + maxPeerWindow);
        }
    }

    /** A stream socket: 1,024-byte window, backlog 16, peers' windows up to 2^30 believed. */
    public static SocketOptions stream() {
        return new SocketOptions(SocketType.STREAM, DEFAULT_RECEIVE_BUFFER, 16, MAX_WINDOW,
                SocketCredentials.ofThisProcess());
    }

    /** The same for a datagram socket. */
    public static SocketOptions datagram() {
        return stream().withType(SocketType.DATAGRAM);
    }

    public SocketOptions withType(SocketType value) {
        return new SocketOptions(value, receiveBuffer, backlog, maxPeerWindow, credentials);
    }

    public SocketOptions withReceiveBuffer(int value) {
        return new SocketOptions(type, value, backlog, maxPeerWindow, credentials);
    }

    public SocketOptions withBacklog(int value) {
        return new SocketOptions(type, receiveBuffer, value, maxPeerWindow, credentials);
    }

    public SocketOptions withMaxPeerWindow(int value) {
        return new SocketOptions(type, receiveBuffer, backlog, value, credentials);
    }

    public SocketOptions withCredentials(SocketCredentials value) {
        return new SocketOptions(type, receiveBuffer, backlog, maxPeerWindow, value);
    }
}
