package io.rptun.test;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.reactive.RpmsgReactive;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A connected host and remote for a test, made by {@link TestLinks} or injected by
 * {@link RptunLinkExtension}. {@link #close()} releases everything (threads, the shared file, a child JVM),
 * whatever state the link is in.
 */
public final class TestLink implements AutoCloseable {
    private final Transport transport;
    private final @Nullable Rptun host;
    private final RpmsgDevice hostDevice;
    private final Supplier<RpmsgDevice> remoteDevice;
    private final @Nullable Path file;
    private final @Nullable Process child;
    private final @Nullable FaultService fault;
    private final List<AutoCloseable> closers;
    private @Nullable RpmsgReactive reactive;
    private boolean closed;

    TestLink(Transport transport, @Nullable Rptun host, RpmsgDevice hostDevice, Supplier<RpmsgDevice> remoteDevice,
            @Nullable Path file, @Nullable Process child, @Nullable FaultService fault, List<AutoCloseable> closers) {
        this.transport = transport;
        this.host = host;
        this.hostDevice = hostDevice;
        this.remoteDevice = remoteDevice;
        this.file = file;
        this.child = child;
        this.fault = fault;
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
