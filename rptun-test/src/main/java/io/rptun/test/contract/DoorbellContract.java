package io.rptun.test.contract;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rptun.core.virtio.Doorbell;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link Doorbell} promises, as tests: extend this class with {@link #open()} making a fresh
 * doorbell (and {@link #ringFromPeer} ringing it the way its peer does, if that is not {@link Doorbell#ring()}),
 * and JUnit runs the whole contract against it. rptun runs it against its own doorbells; a doorbell of your
 * own (an interrupt, an eventfd, a mailbox register) gets the same checks.
 *
 * <p>The contract, from {@link Doorbell}'s Javadoc: a ring is never lost, whether it comes before the
 * waiter waits or while it sleeps, from this side or from the peer; {@code await} returns false when
 * nobody rang within its timeout, and a zero timeout is a poll; one ring wakes one {@code await}; an
 * interrupted waiter returns false by its timeout with its interrupt flag kept; the {@link Doorbell.Poller}
 * form returns for work the poller reports and calls {@code afterBlocking} after every
 * {@code beforeBlocking} that found nothing; {@code close} may be called twice, and a ring after it does
 * not throw.
 *
 * <p>Each test is short: waits for "nothing comes" are {@value #QUIET_MILLIS} ms, and waits for
 * something that must come end at a deadline of seconds, which a correct doorbell never reaches.
 */
@Timeout(60)
public abstract class DoorbellContract {
    /** How long a test waits to see that nothing wakes the doorbell. */
    protected static final long QUIET_MILLIS = 50;
    /** The deadline for a wake-up that must come. */
    protected static final Duration WAKE = Duration.ofSeconds(10);
    private static final int ROUNDS = 200;

    private @Nullable Doorbell bell;

    /** For subclasses. */
    protected DoorbellContract() {
    }

    /** A fresh doorbell that was never rung, and nobody waits on. It is closed after each test. */
    protected abstract Doorbell open() throws Exception;

    /**
     * Rings {@code doorbell} the way its peer does (a futex word, a socket byte, a counter). The default is
     * {@link Doorbell#ring()}, for a doorbell whose peer calls that.
     */
    protected void ringFromPeer(Doorbell doorbell) throws Exception {
        doorbell.ring();
    }

    /** Releases what {@link #open()} made besides the doorbell (files, the peer's end). Called after close. */
    protected void release() throws Exception {
    }

    @BeforeEach
    final void openTheDoorbell() throws Exception {
        bell = open();
    }

    @AfterEach
    final void closeTheDoorbell() throws Exception {
        try {
            if (bell != null) {
                bell.close();
            }
        } finally {
            release();
        }
    }

    /** The doorbell of the running test. */
    protected final Doorbell doorbell() {
        Doorbell b = bell;
        if (b == null) {
            throw new IllegalStateException("no doorbell: open() has not run");
        }
        return b;
    }

    @Test
    public void aRingBeforeAwaitIsRememberedSoAwaitReturnsTrue() {
        doorbell().ring();
        assertTrue(doorbell().await(WAKE), "the ring that came first was lost");
    }

    @Test
    public void aRingFromThePeerBeforeAwaitIsRememberedToo() throws Exception {
        ringFromPeer(doorbell());
        assertTrue(doorbell().await(WAKE), "the peer's ring that came first was lost");
    }

    @Test
    public void awaitReturnsFalseWhenNobodyRangWithinItsTimeout() {
        assertFalse(doorbell().await(Duration.ofMillis(QUIET_MILLIS)));
    }

    @Test
    public void aZeroTimeoutIsAPoll() {
        assertFalse(doorbell().await(Duration.ZERO), "not rung");
        doorbell().ring();
        assertTrue(doorbell().await(Duration.ZERO), "rung");
    }

    @Test
    public void oneRingWakesOneAwaitAndIsThenUsedUp() {
        doorbell().ring();
        assertTrue(doorbell().await(WAKE));
        assertFalse(doorbell().await(Duration.ofMillis(QUIET_MILLIS)), "the same ring woke a second await");
    }

    @Test
    public void aRingFromAnotherThreadWakesAWaiterThatIsAlreadyAsleep() throws Exception {
        CompletableFuture<Boolean> woken = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().name("doorbell-contract-waiter").start(() -> {
            try {
                woken.complete(doorbell().await(WAKE));
            } catch (Throwable t) {
                woken.completeExceptionally(t);
            }
        });
        awaitAsleep(waiter);
        ringFromPeer(doorbell());
        assertTrue(woken.get(WAKE.toSeconds() * 2, TimeUnit.SECONDS), "the sleeping waiter was not woken");
        waiter.join();
    }

    @Test
    public void noRingIsLostWhenRingsAndAwaitsRaceRoundAfterRound() throws Exception {
        raceRounds(false);
    }

    @Test
    public void noPeerRingIsLostWhenRingsAndAwaitsRaceRoundAfterRound() throws Exception {
        raceRounds(true);
    }

    @Test
    public void anInterruptedWaiterReturnsFalseByItsTimeoutAndKeepsItsInterruptFlag() {
        Thread.currentThread().interrupt();
        try {
            assertFalse(doorbell().await(Duration.ofMillis(QUIET_MILLIS)));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag was cleared");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    public void awaitWithAPollerReturnsTrueForWorkThePollerReports() {
        CountingPoller poller = new CountingPoller(true, false);
        assertTrue(doorbell().await(WAKE, poller), "the poller had work");
    }

    /** A doorbell that never blocks (a busy spin) need not call {@code beforeBlocking} at all. */
    @Test
    public void awaitWithAPollerReturnsTrueForWorkFoundJustBeforeBlocking() {
        CountingPoller poller = new CountingPoller(false, true);
        boolean woke = doorbell().await(Duration.ofMillis(QUIET_MILLIS), poller);
        if (poller.before.get() > 0) {
            assertTrue(woke, "beforeBlocking found work, yet await went on to wait");
        }
    }

    @Test
    public void awaitWithAPollerCallsAfterBlockingOnceForEveryBeforeBlockingThatFoundNothing() {
        CountingPoller poller = new CountingPoller(false, false);
        assertFalse(doorbell().await(Duration.ofMillis(QUIET_MILLIS), poller));
        assertEquals(poller.before.get(), poller.after.get(), "beforeBlocking and afterBlocking calls");
        doorbell().ring();
        assertTrue(doorbell().await(WAKE, poller), "a ring wakes the Poller form too");
        assertEquals(poller.before.get(), poller.after.get(), "beforeBlocking and afterBlocking calls");
    }

    /**
     * What {@link Doorbell#spinsWithoutBlocking()} should say for the doorbells {@link #open()} makes: false unless
     * they busy-spin. Override it for one that does.
     */
    protected boolean spinsWithoutBlocking() {
        return false;
    }

    @Test
    public void itSaysWhetherItSpinsWithoutBlocking() {
        assertEquals(spinsWithoutBlocking(), doorbell().spinsWithoutBlocking(), "spinsWithoutBlocking()");
    }

    /**
     * A doorbell that says it {@linkplain Doorbell#spinsWithoutBlocking() spins without blocking} never calls
     * {@code beforeBlocking} (it never blocks, so the peer need not be asked to notify), and returns for work
     * that the poller reports while it spins. Skipped for a doorbell that may block.
     */
    @Test
    public void aDoorbellThatSpinsWithoutBlockingNeverCallsBeforeBlockingAndSeesWorkAsItComes() throws Exception {
        Doorbell b = doorbell();
        assumeTrue(b.spinsWithoutBlocking(), "this doorbell may block");
        CountingPoller idle = new CountingPoller(false, false);
        assertFalse(b.await(Duration.ofMillis(QUIET_MILLIS), idle), "nothing rang and the poller had no work");
        assertEquals(0, idle.before.get(), "beforeBlocking calls by a doorbell that never blocks");

        AtomicBoolean work = new AtomicBoolean();
        CountingPoller watching = new CountingPoller(false, false) {
            @Override
            public boolean hasWork() {
                return work.get();
            }
        };
        CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
            sleepQuietly(QUIET_MILLIS);
            work.set(true);
        });
        assertTrue(b.await(WAKE, watching), "work reported while the doorbell spun");
        later.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        assertEquals(0, watching.before.get(), "beforeBlocking calls by a doorbell that never blocks");
    }

    @Test
    public void closeMayBeCalledTwiceAndARingAfterItDoesNotThrow() {
        Doorbell b = doorbell();
        assertDoesNotThrow(() -> {
            b.close();
            b.close();
            b.ring();
        });
    }

    /** A waiter and a ringer in lockstep: each round the ring lands just before or during the await. */
    private void raceRounds(boolean fromPeer) throws Exception {
        Semaphore ready = new Semaphore(0);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger rings = new AtomicInteger();
        CompletableFuture<Void> ringer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < ROUNDS && !stop.get(); i++) {
                    if (!ready.tryAcquire(WAKE.toNanos(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                    if (fromPeer) {
                        ringFromPeer(doorbell());
                    } else {
                        doorbell().ring();
                    }
                    rings.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            for (int i = 0; i < ROUNDS; i++) {
                ready.release();
                assertTrue(doorbell().await(WAKE), "round " + i + ": the ring was lost");
            }
        } finally {
            stop.set(true);
            ready.release(ROUNDS);
        }
        ringer.get(WAKE.toSeconds(), TimeUnit.SECONDS);
        assertEquals(ROUNDS, rings.get(), "rings sent");
    }

    /** Waits (at most a short while) until {@code t} parks; a waiter in a system call stays RUNNABLE, so give up then. */
    private static void awaitAsleep(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (System.nanoTime() - deadline < 0) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            Thread.sleep(1);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static class CountingPoller implements Doorbell.Poller {
        private final boolean work;
        private final boolean workBeforeBlocking;
        final AtomicInteger before = new AtomicInteger();
        final AtomicInteger after = new AtomicInteger();

        CountingPoller(boolean work, boolean workBeforeBlocking) {
            this.work = work;
            this.workBeforeBlocking = workBeforeBlocking;
        }

        @Override
        public boolean hasWork() {
            return work;
        }

        @Override
        public boolean beforeBlocking() {
            before.incrementAndGet();
            return workBeforeBlocking;
        }

        @Override
        public void afterBlocking() {
            after.incrementAndGet();
        }
    }
}
