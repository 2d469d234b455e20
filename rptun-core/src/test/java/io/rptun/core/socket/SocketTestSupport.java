package io.rptun.core.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** What the socket tests share: a loopback, a connected pair, payloads, waiting without timed assertions. */
final class SocketTestSupport {
    /** Generous: these are deadlines for a stall, never timings. */
    static final Duration WAIT = Duration.ofSeconds(60);

    private SocketTestSupport() {
    }

    /** A host and a remote over 64-buffer rings of 512-byte buffers (484 bytes of socket data per message). */
    static RpmsgLoopback loopback() {
        return RpmsgLoopback.start(RpmsgLoopback.table(64, 512));
    }

    /** A client on the remote and the connection the host's listener accepted for it. */
    record Pair(RpmsgSocket client, RpmsgSocket server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    /** A connected stream or datagram pair over {@code loop}: remote client, host server. */
    static Pair pair(RpmsgLoopback loop, String name, SocketOptions options) {
        if (options.type() == SocketType.DATAGRAM) {
            RpmsgSocket server = RpmsgSocket.connect(loop.host(), name, options);
            RpmsgSocket client = RpmsgSocket.connect(loop.remote(), name, options, WAIT);
            assertThat(server.awaitConnected(WAIT)).isTrue();
            return new Pair(client, server);
        }
        try (RpmsgServerSocket listener = RpmsgServerSocket.listen(loop.host(), name, options)) {
            RpmsgSocket client = RpmsgSocket.connect(loop.remote(), name, options, WAIT);
            RpmsgSocket server = listener.accept(WAIT);
            assertThat(server).as("accepted").isNotNull();
            assertThat(server.awaitConnected(WAIT)).isTrue();
            return new Pair(client, server);
        }
    }

    /** On a thread of its own (the common pool has one thread on a 2-core machine: blocking tasks starve there). */
    static <T> java.util.concurrent.CompletableFuture<T> async(java.util.function.Supplier<T> task) {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    static java.util.concurrent.CompletableFuture<Void> run(Runnable task) {
        return async(() -> {
            task.run();
            return null;
        });
    }

    /** Reproducible pseudo-random bytes. */
    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static long crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return c.getValue();
    }

    /** Reads a stream to its end, CRC and count. */
    record Drained(long bytes, long crc) {
    }

    static Drained drain(RpmsgSocket socket) {
        CRC32 c = new CRC32();
        byte[] buf = new byte[7000];
        long total = 0;
        while (true) {
            int n = socket.read(buf, 0, buf.length, WAIT);
            assertThat(n).as("something arrived on %s within %s", socket, WAIT).isNotZero();
            if (n < 0) {
                return new Drained(total, c.getValue());
            }
            c.update(buf, 0, n);
            total += n;
        }
    }

    /** Writes {@code data} in pseudo-random pieces. */
    static void writeInPieces(RpmsgSocket socket, byte[] data, long seed) {
        Random r = new Random(seed);
        int at = 0;
        while (at < data.length) {
            int n = Math.min(data.length - at, 1 + r.nextInt(5000));
            assertThat(socket.write(data, at, n, WAIT)).isEqualTo(n);
            at += n;
        }
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - end).as(what).isNegative();
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static void assertReason(ThrowingCallable call, SocketException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SocketException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    /** Little-endian u32s, then {@code tail}. */
    static byte[] message(byte[] tail, int... words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length + tail.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        b.put(tail);
        return b.array();
    }

    static byte[] message(int... words) {
        return message(new byte[0], words);
    }

    /** A raw endpoint that keeps every payload it gets. */
    static final class Raw implements RpmsgListener {
        final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(RpmsgEndpoint endpoint, RpmsgMessage message) {
            received.add(message.toByteArray());
        }

        byte[] take() throws InterruptedException {
            byte[] b = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(b).as("a message arrived").isNotNull();
            return b;
        }

        static int word(byte[] msg, int index) {
            return MemorySegment.ofArray(msg).get(io.rptun.core.memory.WireLayouts.LE_U32, 4L * index);
        }
    }
}
