package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rptun.core.memory.SharedAccess;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.sim.SimHeader.Side;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class FutexDoorbellTest {
    private static final long PING = FutexPongMain.PING;
    private static final long PONG = FutexPongMain.PONG;
    /** Far longer than any legitimate wait: an await that times out in a ping-pong is a lost wake-up. */
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SimFile file;
    private final List<FutexDoorbell> bells = new ArrayList<>();

    @BeforeEach
    void createFile() {
        assumeTrue(Futex.isSupported(), "futexes need Linux x86_64 or aarch64");
        file = SimFile.create(dir.resolve("bell.shm"), 4096, true);
    }

    @AfterEach
    void cleanUp() {
        bells.forEach(FutexDoorbell::close);
        if (file != null) {
            file.close();
            assertThat(file.path()).doesNotExist();
        }
    }

    private FutexDoorbell bell(Side side, IdleStrategy idle) {
        FutexDoorbell bell = FutexDoorbell.of(file.header(), side, idle);
        bells.add(bell);
        return bell;
    }

    /** What a ping-pong did. */
    private record Outcome(int hostRounds, int remoteRounds, FutexDoorbell.Stats host, FutexDoorbell.Stats remote,
            long millis) {
        long futexWaits() {
            return host.futexWaits() + remote.futexWaits();
        }

        long futexWakes() {
            return host.futexWakes() + remote.futexWakes();
        }
    }

    /**
     * The host writes ping i and rings; the remote waits for it, writes pong i and rings back. Once in about
     * {@code pauseOneIn} rounds a side parks up to {@code maxPause} before it goes on, so the other side runs
     * out of spins and parks and goes to sleep in the futex.
     */
    private Outcome pingPong(IdleStrategy idle, int rounds, int pauseOneIn, Duration maxPause) throws Exception {
        return pingPong(idle, rounds, pauseOneIn, maxPause, Duration.ofDays(1));
    }

    /**
     * As above, but the host stops early once {@code budget} has passed: it announces the last round in
     * {@code last} before it sends that ping, and the remote, which reads the ping with acquire, sees it.
     */
    private Outcome pingPong(IdleStrategy idle, int rounds, int pauseOneIn, Duration maxPause, Duration budget)
            throws Exception {
        FutexDoorbell host = bell(Side.HOST, idle);
        FutexDoorbell remote = bell(Side.REMOTE, idle);
        MemorySegment region = file.region();
        AtomicInteger hostRounds = new AtomicInteger();
        AtomicInteger remoteRounds = new AtomicInteger();
        AtomicInteger last = new AtomicInteger(rounds);
        long start = System.nanoTime();
        long stopAt = start + Math.min(budget.toNanos(), TimeUnit.DAYS.toNanos(1));
        CompletableFuture<Void> hostDone = run("host", () -> {
            SplittableRandom random = new SplittableRandom(1);
            for (int i = 1; i <= last.get(); i++) {
                maybePause(random, pauseOneIn, maxPause, () -> file.header().isSleeping(Side.REMOTE));
                if (i < last.get() && System.nanoTime() - stopAt > 0) {
                    last.set(i);
                }
                SharedAccess.putIntRelease(region, PING, i);
                host.notify(PeerNotifier.ALL);
                awaitUntil(host, "pong " + i, equalsAcquire(region, PONG, i));
                hostRounds.set(i);
            }
        }, host, remote);
        CompletableFuture<Void> remoteDone = run("remote", () -> {
            SplittableRandom random = new SplittableRandom(2);
            for (int i = 1; i <= last.get(); i++) {
                awaitUntil(remote, "ping " + i, equalsAcquire(region, PING, i));
                maybePause(random, pauseOneIn, maxPause, () -> file.header().isSleeping(Side.HOST));
                SharedAccess.putIntRelease(region, PONG, i);
                remote.notify(PeerNotifier.ALL);
                remoteRounds.set(i);
            }
        }, host, remote);
        hostDone.get();
        remoteDone.get();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Outcome outcome = new Outcome(hostRounds.get(), remoteRounds.get(), host.stats(), remote.stats(), millis);
        System.out.println("ping-pong " + idle + " x" + rounds + ": " + outcome);
        return outcome;
    }

    private static BooleanSupplier equalsAcquire(MemorySegment region, long offset, int value) {
        return () -> SharedAccess.getIntAcquire(region, offset) == value;
    }

    private static void awaitUntil(FutexDoorbell bell, String what, BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            if (!bell.await(AWAIT)) {
                throw new AssertionError("lost wake-up: " + bell.side() + " waited " + AWAIT + " for " + what
                        + ", " + bell);
            }
        }
    }

    /**
     * Once in about {@code oneIn} calls, pauses: half the time for a random time up to {@code max} (which
     * lands anywhere in the peer's back-off, the futex handshake included), half the time until the peer
     * says it sleeps in the futex (at most a second). The second kind makes the futex path certain however
     * long the back-off takes on a machine busy with other work, where every park may overrun by a
     * scheduler slice and a fixed pause would end before the peer got to the futex.
     */
    private static void maybePause(SplittableRandom random, int oneIn, Duration max, BooleanSupplier peerSleeping) {
        if (oneIn > 0 && random.nextInt(oneIn) == 0) {
            if (random.nextBoolean()) {
                LockSupport.parkNanos(random.nextLong(max.toNanos()));
            } else {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (!peerSleeping.getAsBoolean() && System.nanoTime() - until < 0) {
                    LockSupport.parkNanos(20_000);
                }
            }
        }
    }

    /** Runs on a platform thread; on failure closes both bells so the other side stops waiting too. */
    private static CompletableFuture<Void> run(String name, Runnable body, FutexDoorbell... bells) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().name(name).start(() -> {
            try {
                body.run();
                done.complete(null);
            } catch (Throwable t) {
                for (FutexDoorbell b : bells) {
                    b.close();
                }
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    @Test
    @Timeout(300)
    void aMillionPingPongsWithRandomPausesLoseNoWakeUpAndSleepInTheFutex() throws Exception {
        // Pauses of up to 6 ms, longer than the default back-off (about 3 ms of spins and parks), so the
        // waiting side often gets to the futex; every round without a 30 s stall means no lost wake-up.
        // A million rounds take 8-18 s on a quiet machine; on one whose cores are taken by other work each
        // round may cost a scheduler slice, so the run stops at 60 s and checks what it did by then.
        Outcome outcome = pingPong(IdleStrategy.backoff(), 1_000_000, 2_000, Duration.ofMillis(6),
                Duration.ofSeconds(60));

        assertThat(outcome.hostRounds()).as("enough rounds for pauses to reach the futex").isGreaterThanOrEqualTo(20_000);
        assertThat(outcome.remoteRounds()).isEqualTo(outcome.hostRounds());
        assertThat(outcome.futexWaits()).isPositive();
        assertThat(outcome.futexWakes()).isPositive();
        assertThat(outcome.host().rings()).isEqualTo(outcome.hostRounds());
    }

    @Test
    @Timeout(300)
    void aPairThatAlwaysSleepsInTheFutexLosesNoWakeUp() throws Exception {
        // No spins, yields or parks: every await that is not rung already goes through the Dekker handshake.
        Outcome outcome = pingPong(IdleStrategy.of(0, 0, Duration.ZERO, Duration.ZERO), 100_000, 0, Duration.ZERO);

        assertThat(outcome.hostRounds()).isEqualTo(100_000);
        assertThat(outcome.remoteRounds()).isEqualTo(100_000);
        assertThat(outcome.futexWaits()).isPositive();
    }

    @Test
    @Timeout(300)
    void aBusySpinningPairNeverTouchesTheFutex() throws Exception {
        Outcome outcome = pingPong(IdleStrategy.busySpin(), 100_000, 0, Duration.ZERO);

        assertThat(outcome.hostRounds()).isEqualTo(100_000);
        assertThat(outcome.remoteRounds()).isEqualTo(100_000);
        assertThat(outcome.futexWaits()).isZero();
        assertThat(outcome.futexWakes()).isZero();
    }

    @Test
    @Timeout(60)
    void anIdleSideEndsUpAsleepInTheFutexAndTimesOut() {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());

        assertThat(host.await(Duration.ofMillis(300))).isFalse();

        assertThat(host.stats().futexWaits()).isPositive();
        assertThat(host.stats().futexTimeouts()).isPositive();
        assertThat(file.header().isSleeping(Side.HOST)).isFalse();
    }

    @Test
    @Timeout(60)
    void aSleepingSideIsWokenByThePeersNotifyWhichPaysOneWake() throws Exception {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        FutexDoorbell remote = bell(Side.REMOTE, IdleStrategy.backoff());
        CompletableFuture<Boolean> woken = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> woken.complete(host.await(Duration.ofSeconds(50))));
        try {
            assertThat(eventually(() -> file.header().isSleeping(Side.HOST))).isTrue();

            remote.notify(PeerNotifier.ALL);

            assertThat(woken.get(30, TimeUnit.SECONDS)).isTrue();
            assertThat(remote.stats().futexWakes()).isEqualTo(1);
        } finally {
            waiter.join(TimeUnit.SECONDS.toMillis(55));
        }
    }

    @Test
    void aRingThatComesBeforeTheAwaitIsRemembered() {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        FutexDoorbell remote = bell(Side.REMOTE, IdleStrategy.backoff());

        remote.notify(1);
        remote.notify(2);

        assertThat(host.await(Duration.ZERO)).isTrue();
        assertThat(host.await(Duration.ofMillis(20))).isFalse();
        assertThat(remote.stats().futexWakes()).isZero();
    }

    @Test
    void ringWakesTheSideItself() {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        FutexDoorbell remote = bell(Side.REMOTE, IdleStrategy.backoff());

        host.ring();

        assertThat(host.await(Duration.ZERO)).isTrue();
        assertThat(remote.await(Duration.ZERO)).isFalse();
        assertThat(file.header().seq(Side.HOST)).isEqualTo(1);
        assertThat(file.header().seq(Side.REMOTE)).isZero();
    }

    @Test
    @Timeout(60)
    void closeWakesASleepingWaiterWhichReturnsFalse() throws Exception {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> result.complete(host.await(Duration.ofSeconds(50))));
        try {
            assertThat(eventually(() -> file.header().isSleeping(Side.HOST))).isTrue();

            host.close();

            assertThat(result.get(30, TimeUnit.SECONDS)).isFalse();
            assertThat(host.await(Duration.ofSeconds(50))).isFalse();
        } finally {
            waiter.join(TimeUnit.SECONDS.toMillis(55));
        }
    }

    @Test
    void aClosedDoorbellNeitherWaitsNorRingsNorThrows() {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        host.close();
        int remoteSeq = file.header().seq(Side.REMOTE);

        assertThatCode(() -> host.notify(PeerNotifier.ALL)).doesNotThrowAnyException();
        assertThatCode(host::close).doesNotThrowAnyException();
        assertThat(file.header().seq(Side.REMOTE)).isEqualTo(remoteSeq);
        assertThat(host.await(Duration.ofSeconds(50))).isFalse();
    }

    @Test
    void notifyAfterTheFileWasUnmappedDoesNotThrowButRecordsWhy() {
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        file.close();

        assertThatCode(() -> host.notify(PeerNotifier.ALL)).doesNotThrowAnyException();
        assertThat(host.ringFailure()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @Timeout(300)
    void aSecondJvmAnswersTwentyThousandPingsOverTheSameFile() throws Exception {
        // Twenty thousand: a few seconds on a quiet machine, about a minute when other work takes the cores.
        int rounds = 20_000;
        FutexDoorbell host = bell(Side.HOST, IdleStrategy.backoff());
        MemorySegment region = file.region();
        Path log = dir.resolve("pong.log");
        Process pong = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                FutexPongMain.class.getName(), file.path().toString(), Integer.toString(rounds))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            for (int i = 1; i <= rounds; i++) {
                SharedAccess.putIntRelease(region, PING, i);
                host.notify(PeerNotifier.ALL);
                while (SharedAccess.getIntAcquire(region, PONG) != i && pong.isAlive()) {
                    if (!host.await(AWAIT)) {
                        throw new AssertionError("lost wake-up: no pong " + i + " from pid " + pong.pid()
                                + " (alive: " + pong.isAlive() + ") within " + AWAIT + ", " + host
                                + ", header " + file.header() + ", remote seq " + file.header().seq(Side.REMOTE)
                                + ", log: " + readLog(log));
                    }
                }
                assertThat(SharedAccess.getIntAcquire(region, PONG)).as("pong %d; log: %s", i, readLog(log))
                        .isEqualTo(i);
            }
            assertThat(pong.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(pong.exitValue()).as(readLog(log)).isZero();
            assertThat(file.header().pid(Side.REMOTE)).isEqualTo(pong.pid());
            System.out.println("cross-process: " + host + "; " + readLog(log).strip());
        } finally {
            pong.destroyForcibly();
            pong.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
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
