package io.rptun.test;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgTxBuffer;
import io.rptun.reactive.RpmsgReactive;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A connected host and remote for a test, made by {@link TestLinks} or injected by
 * {@link RptunLinkExtension}. {@link #close()} releases everything (threads, the shared file, a child JVM),
 * whatever state the link is in.
 */
public final class TestLink implements AutoCloseable {
    /** How long a fault's set-up may take. */
    private static final Duration FAULT_WAIT = Duration.ofSeconds(20);
    private final Transport transport;
    private final @Nullable Rptun host;
    private final RpmsgDevice hostDevice;
    private final Supplier<RpmsgDevice> remoteDevice;
    private final @Nullable Path file;
    private final @Nullable Process child;
    private final @Nullable FaultService fault;
    private final @Nullable Supplier<MemorySegment> remoteMemory;
    private final List<AutoCloseable> closers;
    private @Nullable RpmsgReactive reactive;
    private boolean closed;

    TestLink(Transport transport, @Nullable Rptun host, RpmsgDevice hostDevice, Supplier<RpmsgDevice> remoteDevice,
            @Nullable Path file, @Nullable Process child, @Nullable FaultService fault,
            @Nullable Supplier<MemorySegment> remoteMemory, List<AutoCloseable> closers) {
        this.transport = transport;
        this.host = host;
        this.hostDevice = hostDevice;
        this.remoteDevice = remoteDevice;
        this.file = file;
        this.child = child;
        this.fault = fault;
        this.remoteMemory = remoteMemory;
        this.closers = new ArrayList<>(closers);
    }

    public Transport transport() {
        return transport;
    }

    /**
     * The host's lifecycle.
     *
     * @throws IllegalStateException for {@link Transport#IN_PROCESS}, which has devices but no lifecycle
     */
    public Rptun host() {
        if (host == null) {
            throw new IllegalStateException("an IN_PROCESS link has no Rptun lifecycle, only devices: use"
                    + " hostDevice(), or a SIM_FILE or CHILD_JVM link to test start, stop, reset and peer loss");
        }
        return host;
    }

    /** The host's rpmsg device (the current session's, after a reset). */
    public RpmsgDevice hostDevice() {
        return host != null ? host.device() : hostDevice;
    }

    /**
     * The remote's rpmsg device, once it is up.
     *
     * @throws IllegalStateException for {@link Transport#CHILD_JVM}: the remote lives in another process
     */
    public RpmsgDevice remoteDevice() {
        return remoteDevice.get();
    }

    /** The host's device as reactive channels, made on first use and disposed by {@link #close()}. */
    public synchronized RpmsgReactive reactive() {
        if (reactive == null) {
            reactive = host != null ? RpmsgReactive.create(host) : RpmsgReactive.create(hostDevice);
        }
        return reactive;
    }

    /** The shared file, or null in process. */
    public @Nullable Path file() {
        return file;
    }

    /**
     * Kills the remote without a word, as a crash does: the host's watchdog reports it lost (PEER_LOST)
     * within its liveness period, and pending sends fail with PEER_LOST.
     *
     * @throws UnsupportedOperationException except for {@link Transport#CHILD_JVM}: a remote in this JVM
     *     cannot vanish the way a process does
     */
    public void killRemote() {
        if (child == null) {
            throw new UnsupportedOperationException(transport + ": a remote in this JVM cannot crash; use a"
                    + " CHILD_JVM link (TestLinks.childJvm) to test a remote that dies");
        }
        child.destroyForcibly();
        try {
            child.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stalls the remote until the returned handle is closed: it takes nothing from the rings and returns no
     * buffer, as a firmware that stopped reading does, so the host's sends back up and then wait for TX
     * buffers. A remote in this JVM is held in a listener of its own; a child JVM is stopped with SIGSTOP
     * (and continued with SIGCONT). {@link #close()} ends a stall too.
     *
     * @throws IllegalStateException if the stall could not be set up within 20 s
     */
    public Stall stallRemote() {
        if (child != null) {
            signal(child, "-STOP");
            Stall stall = () -> {
                if (child.isAlive()) {
                    signal(child, "-CONT");
                }
            };
            closers.add(stall::close);
            return stall;
        }
        FaultService f = java.util.Objects.requireNonNull(fault, "fault");
        io.rptun.core.rpmsg.RpmsgEndpoint ep = hostDevice().createEndpoint(FaultService.NAME, (e, msg) -> {
        });
        try {
            if (!ep.awaitBound(Duration.ofSeconds(20))) {
                throw new IllegalStateException("the remote's fault service did not answer within 20 s");
            }
            ep.send(new byte[] {1});
            if (!f.awaitStalled(Duration.ofSeconds(20))) {
                throw new IllegalStateException("the remote did not take the stall message within 20 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stalling the remote", e);
        }
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        Stall stall = () -> {
            if (released.compareAndSet(false, true)) {
                f.release();
                ep.destroy();
            }
        };
        closers.add(stall::close);
        return stall;
    }

    /**
     * Has the remote send one message of {@code payload} to {@code dst} (an address on the host) and damages
     * it on its way, after the remote wrote and published it and before the host reads it: a corrupt
     * buffer header as a broken firmware or a stray write leaves it. The host should drop it with a typed,
     * counted reason ({@link Corruption#dropReason()}) and go on serving everything after it:
     *
     * <pre>{@code
     * link.sendCorrupted(hostEndpoint.address(), bytes, Corruption.LENGTH_BEYOND_BUFFER);
     * assertThat(link.hostDevice().stats().dropped(Reason.LENGTH_BEYOND_BUFFER)).isEqualTo(1);
     * }</pre>
     *
     * <p>Nothing races: the host's serving thread is held in a listener of this link's while the remote
     * sends and the message is damaged in shared memory, then let go, so the host reads only the damaged
     * message. Returns once the host has dropped it, or, for a corruption the host cannot see
     * ({@link Corruption#FLIPPED_PAYLOAD_BYTE}), once the host was let go to read it: it then arrives at
     * {@code dst}'s listener like any message. The message comes from the remote's endpoint
     * {@code rptun-test-corrupt}.
     *
     * @throws UnsupportedOperationException for {@link Transport#CHILD_JVM}: the remote's memory is in another
     *     process
     * @throws IllegalArgumentException if {@code payload} is longer than the remote's TX buffers take, or
     *     empty for {@link Corruption#FLIPPED_PAYLOAD_BYTE}
     * @throws IllegalStateException if the host or the remote did not play its part within 20 s
     */
    public void sendCorrupted(int dst, byte[] payload, Corruption corruption) {
        java.util.Objects.requireNonNull(payload, "payload");
        java.util.Objects.requireNonNull(corruption, "corruption");
        if (remoteMemory == null || fault == null) {
            throw new UnsupportedOperationException(transport + ": the remote's memory is in another process;"
                    + " use an IN_PROCESS or SIM_FILE link to corrupt a message");
        }
        if (corruption == Corruption.FLIPPED_PAYLOAD_BYTE && payload.length == 0) {
            throw new IllegalArgumentException("FLIPPED_PAYLOAD_BYTE needs a payload of 1 byte or more: length=0");
        }
        RpmsgDevice hostDev = hostDevice();
        RpmsgEndpoint from = fault.corrupter();
        RpmsgException.@Nullable Reason reason = corruption.dropReason();
        long dropsBefore = reason == null ? 0 : hostDev.stats().dropped(reason);
        Semaphore held = new Semaphore(0);
        Semaphore go = new Semaphore(0);
        RpmsgEndpoint hold = hostDev.createEndpoint(FaultService.CORRUPT_NAME, (ep, msg) -> {
            held.release();
            try {
                go.tryAcquire(FAULT_WAIT.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            if (!hold.awaitBound(FAULT_WAIT)) {
                throw new IllegalStateException("the remote's fault service did not answer within " + FAULT_WAIT);
            }
            from.sendTo(hold.address(), new byte[] {1});
            if (!held.tryAcquire(FAULT_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("the host's serving thread did not take the hold message within "
                        + FAULT_WAIT);
            }
            try {
                RpmsgTxBuffer tx = from.txBuffer(FAULT_WAIT);
                if (payload.length > tx.capacity()) {
                    tx.release();
                    throw new IllegalArgumentException("payload length=" + payload.length + " > the remote's "
                            + tx.capacity() + "-byte payload room");
                }
                MemorySegment memory = remoteMemory.get();
                MemorySegment room = tx.payload();
                MemorySegment.copy(payload, 0, room, ValueLayout.JAVA_BYTE, 0, payload.length);
                long header = room.address() - memory.address() - RpmsgHeaderLayout.SIZE; // both native
                tx.sendTo(dst, payload.length);
                corruption.apply(memory.asSlice(header, RpmsgHeaderLayout.SIZE + (long) payload.length));
            } finally {
                go.release(); // the host's read of the header happens after this (a semaphore's happens-before)
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while corrupting a message", e);
        } finally {
            hold.destroy();
        }
        if (reason != null) {
            long deadline = System.nanoTime() + FAULT_WAIT.toNanos();
            while (hostDev.stats().dropped(reason) <= dropsBefore) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the host did not drop the corrupted message (" + reason
                            + ") within " + FAULT_WAIT);
                }
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    /** A stalled remote; {@link #close()} lets it go on. Idempotent. */
    @FunctionalInterface
    public interface Stall extends AutoCloseable {
        @Override
        void close();
    }

    private static void signal(Process p, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(p.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + signal + " " + p.pid() + " failed");
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot signal the remote: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling the remote", e);
        }
    }

    /** The child JVM's process (CHILD_JVM), else null. */
    public @Nullable Process remoteProcess() {
        return child;
    }

    /** Waits until the host is RUNNING again (after a reset) and returns its device. */
    public RpmsgDevice awaitRunning(Duration timeout) {
        return host().awaitRunning(timeout);
    }

    /** Disposes the reactive layer, stops and closes both sides, removes the file, ends a child JVM. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        if (reactive != null) {
            reactive.dispose();
        }
        for (AutoCloseable c : closers.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (failure == null) {
                    failure = r;
                } else {
                    failure.addSuppressed(r);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "TestLink[" + transport + (file == null ? "" : " " + file) + "]";
    }
}
