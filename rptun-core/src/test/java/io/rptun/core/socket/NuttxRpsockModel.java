package io.rptun.core.socket;

import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A model of NuttX's side of rpmsg sockets, written from {@code net/rpmsg/rpmsg_sockif.c} and the
 * {@code rpsock_server} / {@code rpsock_client} examples of nuttx-apps, speaking the wire protocol itself over
 * a plain endpoint (it uses none of {@code io.rptun.core.socket}). What NuttX does, this does, quirks
 * included: a datagram larger than a TX buffer is cut to fit, a datagram read into a small buffer loses its
 * tail, every DATA carries {@code recvpos}, an empty DATA goes once more than half the buffer was read.
 */
final class NuttxRpsockModel {
    static final int CMD_SYNC = 1;
    static final int CMD_DATA = 2;
    static final int CMD_SHUTDOWN = 3;
    /** {@code CONFIG_NET_RPMSG_RXBUF_SIZE}. */
    static final int RXBUF = 1024;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private NuttxRpsockModel() {
    }

    /** {@code struct rpmsg_socket_conn_s}, the parts the protocol needs. */
    static final class Conn implements RpmsgListener {
        final boolean stream;
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        final ArrayDeque<Byte> recvbuf = new ArrayDeque<>();
        volatile RpmsgEndpoint ept;
        int sendsize;
        int sendpos;
        int ackpos;
        int recvpos;
        int lastpos;
        boolean unbind;
        boolean peerShutWr;

        Conn(boolean stream) {
            this.stream = stream;
        }

        @Override
        public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
            ByteBuffer b = ByteBuffer.wrap(msg.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            lock.lock();
            try {
                int cmd = b.getInt(0);
                if (cmd == CMD_SYNC) {
                    sendsize = b.getInt(4);
                } else if (cmd == CMD_DATA) {
                    ackpos = b.getInt(4);
                    // Stream or datagram alike: whatever follows the 12-byte header goes into the circular buffer
                    // (a datagram's length prefix included).
                    for (int i = 12; i < b.limit(); i++) {
                        recvbuf.add(b.get(i));
                    }
                } else if (cmd == CMD_SHUTDOWN && (b.getInt(4) & 2) != 0) {
                    peerShutWr = true;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void onBound(RpmsgEndpoint ep) {
            ept = ep;
            sendSync(); // rpmsg_socket_ns_bound
        }

        @Override
        public void onUnbind(RpmsgEndpoint ep) {
            lock.lock();
            try {
                unbind = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void sendSync() {
            ept.send(words(CMD_SYNC, RXBUF, 42, 0, 0));
        }

        void awaitSync() throws InterruptedException {
            lock.lock();
            try {
                while (sendsize == 0) {
                    if (!changed.await(60, TimeUnit.SECONDS)) {
                        throw new AssertionError("no SYNC");
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        int space() {
            return sendsize - (sendpos - ackpos);
        }

        /** {@code rpmsg_socket_send_continuous}. */
        void sendStream(byte[] data) throws InterruptedException {
            int written = 0;
            while (written < data.length) {
                lock.lock();
                int block;
                try {
                    long end = System.nanoTime() + WAIT_NANOS;
                    while (space() <= 0) {
                        if (unbind || !changed.await(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                            throw new AssertionError("ECONNRESET or stuck");
                        }
                    }
                    int ipcsize = ept.maxPayload();
                    block = Math.min(Math.min(data.length - written, space()), ipcsize - 12);
                    ByteBuffer msg = ByteBuffer.allocate(12 + block).order(ByteOrder.LITTLE_ENDIAN);
                    msg.putInt(CMD_DATA).putInt(recvpos).putInt(block).put(data, written, block);
                    lastpos = recvpos;
                    sendpos += block;
                    ept.send(msg.array());
                } finally {
                    lock.unlock();
                }
                written += block;
            }
        }

        /** {@code rpmsg_socket_send_single}: cut to what fits, as NuttX does. */
        void sendDatagram(byte[] data) throws InterruptedException {
            lock.lock();
            try {
                int total = data.length + 4;
                if (total > sendsize) {
                    throw new AssertionError("EFBIG");
                }
                while (space() < total) {
                    if (unbind || !changed.await(60, TimeUnit.SECONDS)) {
                        throw new AssertionError("ECONNRESET or stuck");
                    }
                }
                total = Math.min(Math.min(total, space()), ept.maxPayload() - 12);
                int len = total - 4;
                ByteBuffer msg = ByteBuffer.allocate(12 + total).order(ByteOrder.LITTLE_ENDIAN);
                msg.putInt(CMD_DATA).putInt(recvpos).putInt(len).putInt(len).put(data, 0, len);
                lastpos = recvpos;
                sendpos += total;
                ept.send(msg.array());
            } finally {
                lock.unlock();
            }
        }

        /** {@code rpmsg_socket_recvmsg}: 0 at the end (NuttX also ends at once on the peer's SHUT_WR). */
        int recv(byte[] buf) throws InterruptedException {
            int n;
            lock.lock();
            try {
                long end = System.nanoTime() + WAIT_NANOS;
                while (recvbuf.isEmpty()) {
                    if (unbind || peerShutWr) {
                        return 0;
                    }
                    if (!changed.await(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        throw new AssertionError("nothing arrived");
                    }
                }
                if (stream) {
                    n = Math.min(buf.length, recvbuf.size());
                    for (int i = 0; i < n; i++) {
                        buf[i] = recvbuf.poll();
                    }
                    recvpos += n;
                } else {
                    int datalen = 0;
                    for (int i = 0; i < 4; i++) {
                        datalen |= (recvbuf.poll() & 0xFF) << (8 * i);
                    }
                    n = Math.min(datalen, buf.length);
                    for (int i = 0; i < datalen; i++) {
                        byte v = recvbuf.poll();
                        if (i < n) {
                            buf[i] = v;
                        }
                    }
                    recvpos += datalen + 4;
                }
            } finally {
                lock.unlock();
            }
            wakeup();
            return n;
        }

        /** {@code rpmsg_socket_wakeup}. */
        void wakeup() {
            lock.lock();
            try {
                if (!unbind && recvpos - lastpos > RXBUF / 2) {
                    lastpos = recvpos;
                    ept.send(words(CMD_DATA, recvpos, 0));
                }
            } finally {
                lock.unlock();
            }
        }

        void close() {
            ept.destroy();
        }
    }

    static byte[] words(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** NuttX's formatted name for a short socket name. */
    static String nameOf(String name) {
        return "s:" + name;
    }

    /**
     * {@code rpsock_server stream block NAME}: accepts every client, and echoes what each sends in reads of
     * at most 255 bytes until its input ends. Returns the listener to remove.
     */
    static RpmsgServiceListener streamServer(RpmsgDevice device, String name) {
        RpmsgServiceListener l = new RpmsgServiceListener() {
            @Override
            public void serviceCreated(String service, int address) {
                if (!service.startsWith(nameOf(name))) {
                    return;
                }
                Conn conn = new Conn(true);
                conn.ept = device.createEndpoint(service, RpmsgAddresses.ANY, address, conn);
                conn.sendSync();
                Thread.ofVirtual().start(() -> echo(conn));
            }

            @Override
            public void serviceDestroyed(String service, int address) {
            }
        };
        device.addServiceListener(l).forEach(l::serviceCreated);
        return l;
    }

    /** {@code rpsock_thread}: recv 255, send it back, until recv returns 0. */
    static void echo(Conn conn) {
        try {
            conn.awaitSync();
            byte[] buf = new byte[255];
            while (true) {
                int n = conn.recv(buf);
                if (n == 0) {
                    break;
                }
                byte[] out = java.util.Arrays.copyOf(buf, n);
                if (conn.stream) {
                    conn.sendStream(out);
                } else {
                    conn.sendDatagram(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code rpsock_server dgram block NAME}: binds and connects to its own name, then echoes datagrams. */
    static Conn datagramServer(RpmsgDevice device, String name) {
        Conn conn = new Conn(false);
        conn.ept = device.createEndpoint(nameOf(name), conn);
        Thread.ofVirtual().start(() -> echo(conn));
        return conn;
    }

    /**
     * {@code rpsock_client stream block NAME CPU}, first phase: messages of 64 + cnt * (random % 64) bytes (a
     * text header, then counting ints), each echoed whole and checked, until one would exceed the window.
     * Then a second phase like its unsynchronised test, shortened: {@code rounds} buffers of 2,048 counting
     * ints sent by one thread while this one reads and checks them, then an "endflags" message.
     *
     * @return the number of check failures (0 when all came back right)
     */
    static int streamClient(RpmsgDevice device, String name, int rounds, long seed) throws InterruptedException {
        Conn conn = new Conn(true);
        conn.ept = device.createEndpoint(nameOf(name) + ":" + Integer.toHexString(0x7000 + (int) seed), conn);
        conn.awaitSync();
        java.util.Random random = new java.util.Random(seed);
        int failures = 0;
        for (int cnt = 0;; cnt++) {
            int sendsize = 64 + cnt * random.nextInt(64);
            if (sendsize > RXBUF) {
                break;
            }
            ByteBuffer out = ByteBuffer.allocate(sendsize).order(ByteOrder.LITTLE_ENDIAN);
            byte[] head = String.format("process%04d, msg%04d, name:%s", 42, cnt, name)
                    .getBytes(StandardCharsets.US_ASCII);
            out.put(head, 0, Math.min(63, head.length));
            out.position(64);
            for (int i = 0; i < (sendsize - 64) / 4; i++) {
                out.putInt(cnt * 100 + i);
            }
            conn.sendStream(out.array());
            ByteBuffer in = ByteBuffer.allocate(RXBUF * 2).order(ByteOrder.LITTLE_ENDIAN);
            byte[] buf = new byte[RXBUF];
            while (in.position() < sendsize) {
                int n = conn.recv(buf);
                if (n == 0) {
                    return failures + 1;
                }
                in.put(buf, 0, n);
            }
            for (int i = 0; i < (sendsize - 64) / 4; i++) {
                if (in.getInt(64 + 4 * i) != cnt * 100 + i) {
                    failures++;
                }
            }
        }
        int bufsize = 2048;
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                for (int cnt = 0; cnt < rounds; cnt++) {
                    ByteBuffer b = ByteBuffer.allocate(bufsize).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < bufsize / 4; i++) {
                        b.putInt(cnt * bufsize / 4 + i);
                    }
                    conn.sendStream(b.array());
                }
                byte[] end = new byte[64];
                byte[] text = ("endflags, send total " + rounds * bufsize).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(text, 0, end, 0, text.length);
                conn.sendStream(end);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long total = 0;
        long expected = (long) rounds * bufsize;
        long withEnd = expected + 64; // rpsock_client reads on until its "endflags" message came back
        byte[] buf = new byte[bufsize];
        ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        while (total < withEnd) {
            int n = conn.recv(buf);
            if (n == 0) {
                return failures + 1;
            }
            int mine = (int) Math.max(0, Math.min(n, expected - total)); // the rest is "endflags"
            for (int i = 0; i < mine; i++) {
                word.put(buf[i]);
                if (!word.hasRemaining()) {
                    if (word.getInt(0) != (int) ((total + i - 3) / 4)) {
                        failures++;
                    }
                    word.clear();
                }
            }
            total += n;
        }
        sender.join();
        conn.close();
        return failures;
    }
}
