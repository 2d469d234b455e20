package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.virtio.PeerNotifier;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class UnixSocketDoorbellTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    /** Under /tmp, not @TempDir: a UNIX socket path holds at most 107 bytes. */
    private Path dir;
    private Path socket;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "rsd");
        socket = dir.resolve("event.0");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).as("thread %s", t.getName()).isFalse();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        assertThat(dir).doesNotExist();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private <T> CompletableFuture<T> async(String name, java.util.function.Supplier<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        threads.add(Thread.ofPlatform().name(name).start(() -> {
            try {
                result.complete(body.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }));
        return result;
    }

    /** A listener (the remote) and a connector (the host), connected. */
    private record Pair(UnixSocketDoorbell remote, UnixSocketDoorbell host) {
    }

    private Pair pair() throws Exception {
        CompletableFuture<UnixSocketDoorbell> remote = async("listener", () -> UnixSocketDoorbell.listen(socket, LONG));
        UnixSocketDoorbell host = closeLater(UnixSocketDoorbell.connect(socket, LONG));
        return new Pair(closeLater(remote.get(60, TimeUnit.SECONDS)), host);
    }

    private static SimException.Reason reasonOf(Runnable action) {
        try {
            action.run();
        } catch (SimException e) {
            return e.reason();
        }
        throw new AssertionError("no SimException");
    }

    @Test
    void everyKickIsExactlyOneByte0x01AndTheNotifyIdIsNotSent() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            UnixSocketDoorbell host = closeLater(UnixSocketDoorbell.connect(socket, LONG));
            try (SocketChannel raw = server.accept()) {
                host.notify(0);
                host.notify(7);
                host.notify(PeerNotifier.ALL);

                ByteBuffer got = ByteBuffer.allocate(16);
                while (got.position() < 3) {
                    assertThat(raw.read(got)).isPositive();
                }
                raw.configureBlocking(false);
                assertThat(raw.read(got)).isZero();
                assertThat(got.flip().remaining()).isEqualTo(3);
                assertThat(new byte[] {got.get(), got.get(), got.get()}).containsExactly(1, 1, 1);
                assertThat(host.stats().kicksSent()).isEqualTo(3);
            }
        }
    }

    @Test
    void theListenerAcceptsAPlainClientAndAnyByteCountsAsAKick() throws Exception {
        CompletableFuture<UnixSocketDoorbell> remote = async("listener", () -> UnixSocketDoorbell.listen(socket, LONG));
        try (SocketChannel raw = connectRaw(socket)) {
            UnixSocketDoorbell bell = closeLater(remote.get(60, TimeUnit.SECONDS));

            raw.write(ByteBuffer.wrap(new byte[] {0x01, 0x7F, 0x00}));

            assertThat(bell.await(LONG)).isTrue();
            assertThat(bell.stats().kicksReceived()).isEqualTo(3);
            assertThat(bell.await(Duration.ofMillis(50))).isFalse();

            bell.notify(3);
            ByteBuffer one = ByteBuffer.allocate(1);
            assertThat(raw.read(one)).isEqualTo(1);
            assertThat(one.get(0)).isEqualTo(UnixSocketDoorbell.KICK);
        }
    }

    private static SocketChannel connectRaw(Path path) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(path));
                return ch;
            } catch (IOException e) {
                ch.close();
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    @Test
    void kicksCoalesceIntoOneWakeUp() throws Exception {
        Pair p = pair();
        for (int i = 0; i < 100; i++) {
            p.host().notify(1);
        }

        assertThat(p.remote().await(LONG)).isTrue();
        assertThat(p.remote().stats().kicksReceived()).isEqualTo(100);
        assertThat(p.remote().await(Duration.ofMillis(100))).isFalse();
        assertThat(p.host().stats().kicksSent()).isEqualTo(100);
    }

    @Test
    void connectRetriesUntilTheListenerAppears() throws Exception {
        CompletableFuture<UnixSocketDoorbell> remote = async("late-listener", () -> {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
            return UnixSocketDoorbell.listen(socket, LONG);
        });

        UnixSocketDoorbell host = closeLater(UnixSocketDoorbell.connect(socket, LONG));

        UnixSocketDoorbell bell = closeLater(remote.get(60, TimeUnit.SECONDS));
        host.notify(1);
        assertThat(bell.await(LONG)).isTrue();
        bell.notify(2);
        assertThat(host.await(LONG)).isTrue();
    }

    @Test
    void connectGivesUpWithTimeoutNamingThePath() {
        SimException e = org.junit.jupiter.api.Assertions.assertThrows(SimException.class,
                () -> UnixSocketDoorbell.connect(socket, Duration.ofMillis(200)));

        assertThat(e.reason()).isEqualTo(SimException.Reason.TIMEOUT);
        assertThat(e.getMessage()).contains(socket.toString());
    }

    @Test
    void listenGivesUpWithTimeoutWhenNobodyConnectsAndLeavesNoSocketFile() {
        assertThat(reasonOf(() -> UnixSocketDoorbell.listen(socket, Duration.ofMillis(200))))
                .isEqualTo(SimException.Reason.TIMEOUT);
        assertThat(socket).doesNotExist();
    }

    @Test
    void listenReplacesAStaleSocketFile() throws Exception {
        try (java.nio.channels.ServerSocketChannel killed = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            killed.bind(java.net.UnixDomainSocketAddress.of(socket)); // closed without unlinking, as by a SIGKILL
        }
        assertThat(socket).exists();

        Pair p = pair();

        p.host().notify(1);
        assertThat(p.remote().await(LONG)).isTrue();
    }

    @Test
    void listenAndConnectRefuseARegularFileAtTheSocketPathAndLeaveIt() throws Exception {
        Files.writeString(socket, "not a socket");

        assertThat(reasonOf(() -> UnixSocketDoorbell.listen(socket, LONG))).isEqualTo(SimException.Reason.NOT_A_SOCKET);
        assertThat(reasonOf(() -> UnixSocketDoorbell.connect(socket, LONG))).isEqualTo(SimException.Reason.NOT_A_SOCKET);
        assertThat(Files.readString(socket)).isEqualTo("not a socket");
    }

    @Test
    void theListenersSocketFileIsGoneOnceConnectedAndCloseLeavesNothingBehind() throws Exception {
        Pair p = pair();

        assertThat(socket).doesNotExist();
        p.remote().close();
        p.host().close();
        assertThatCode(p.remote()::close).doesNotThrowAnyException();
        assertThatCode(p.host()::close).doesNotThrowAnyException();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
        assertThat(p.remote().isClosed()).isTrue();
    }

    @Test
    void aClosingPeerIsObservedOnceAndLaterNotifiesDoNotThrow() throws Exception {
        Pair p = pair();
        AtomicInteger calls = new AtomicInteger();
        p.remote().onPeerClosed(calls::incrementAndGet);

        p.host().close();

        assertThat(p.remote().await(LONG)).isTrue();
        assertThat(p.remote().isPeerClosed()).isTrue();
        assertThat(calls).hasValue(1);
        assertThatCode(() -> p.remote().notify(1)).doesNotThrowAnyException();
        assertThatCode(() -> p.remote().notify(2)).doesNotThrowAnyException();
        assertThat(p.remote().await(Duration.ofMillis(100))).isFalse();
        assertThat(calls).hasValue(1);

        AtomicInteger late = new AtomicInteger();
        p.remote().onPeerClosed(late::incrementAndGet);
        assertThat(late).hasValue(1);
    }

    @Test
    void aPeerThatGoesAwayIsSeenByTheNotifierToo() throws Exception {
        Pair p = pair();
        AtomicInteger calls = new AtomicInteger();
        p.host().onPeerClosed(calls::incrementAndGet);
        p.remote().close();

        // Writing to a socket whose peer is gone fails (EPIPE) on the first or a later write.
        assertThat(eventually(() -> {
            p.host().notify(1);
            return p.host().isPeerClosed();
        })).isTrue();
        assertThat(calls).hasValue(1);
        assertThat(p.host().await(LONG)).isTrue(); // the serving loop runs once more and finds out
    }

    @Test
    void ringWakesAWaiterWithoutSendingAnything() throws Exception {
        Pair p = pair();
        CompletableFuture<Boolean> woken = async("waiter", () -> p.remote().await(LONG));

        p.remote().ring();

        assertThat(woken.get(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.host().await(Duration.ofMillis(50))).isFalse();
        assertThat(p.remote().stats().kicksSent()).isZero();
    }

    @Test
    void closeWakesAWaiterWhichReturnsFalse() throws Exception {
        Pair p = pair();
        CompletableFuture<Boolean> result = async("waiter", () -> p.remote().await(Duration.ofSeconds(50)));
        assertThat(result).isNotDone();

        p.remote().close();

        assertThat(result.get(60, TimeUnit.SECONDS)).isFalse();
        assertThat(p.remote().await(LONG)).isFalse();
        assertThatCode(() -> p.remote().notify(1)).doesNotThrowAnyException();
    }

    @Test
    void aPathTooLongForASocketIsRefused() {
        Path longPath = dir.resolve("x".repeat(120));

        assertThat(reasonOf(() -> UnixSocketDoorbell.connect(longPath, Duration.ofMillis(10))))
                .isEqualTo(SimException.Reason.SOCKET_FAILED);
        assertThat(reasonOf(() -> UnixSocketDoorbell.listen(longPath, Duration.ofMillis(10))))
                .isEqualTo(SimException.Reason.SOCKET_FAILED);
    }

    @Test
    void tenThousandPingPongsBothWays() throws Exception {
        Pair p = pair();
        int rounds = 10_000;
        AtomicInteger ping = new AtomicInteger();
        AtomicInteger pong = new AtomicInteger();
        CompletableFuture<Integer> remote = async("remote", () -> {
            for (int i = 1; i <= rounds; i++) {
                int round = i;
                awaitUntil(p.remote(), () -> ping.get() == round);
                pong.set(i);
                p.remote().notify(1);
            }
            return rounds;
        });
        for (int i = 1; i <= rounds; i++) {
            int round = i;
            ping.set(i);
            p.host().notify(2);
            awaitUntil(p.host(), () -> pong.get() == round);
        }

        assertThat(remote.get(60, TimeUnit.SECONDS)).isEqualTo(rounds);
        assertThat(pong).hasValue(rounds);
        assertThat(p.host().stats().kicksSent() + p.host().stats().kicksSkipped()).isEqualTo(rounds);
        assertThat(p.remote().stats().kicksReceived()).isPositive().isLessThanOrEqualTo(rounds);
    }

    private static void awaitUntil(UnixSocketDoorbell bell, BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            if (!bell.await(LONG)) {
                throw new AssertionError("no kick within " + LONG + ": " + bell);
            }
        }
    }

    /** Polls {@code condition} until true or 30 s passed (a hang guard, not a timing assertion). */
    private static boolean eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }
}
