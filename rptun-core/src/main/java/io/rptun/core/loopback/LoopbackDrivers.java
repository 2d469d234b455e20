package io.rptun.core.loopback;

import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.rsc.RptunRsc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Two {@link RptunDriver}s in one JVM over one shared segment, a master and a remote: the simplest drivers
 * there are, for tests of the lifecycle and as a reference for a driver of your own. Each side's
 * {@code notify} calls the other side's callback directly; the remote's {@code start} waits (up to 10 s) for
 * a boot of the master it has not attached to yet, as a real remote waits for its firmware to be loaded.
 * Each side counts its {@code start}, {@code stop} and {@code reset} calls, and offers a reset op only when
 * told to ({@link Side#offerResetOp}), so a test can see which way {@code Rptun} took.
 *
 * <pre>{@code
 * try (LoopbackDrivers pair = LoopbackDrivers.standard();
 *         Rptun master = Rptun.create(pair.master(), RptunOptions.defaults());
 *         Rptun remote = Rptun.create(pair.remote(), RptunOptions.defaults())) {
 *     CompletableFuture<RpmsgDevice> up = CompletableFuture.supplyAsync(master::start);
 *     remote.start();
 *     up.join();
 * }
 * }</pre>
 */
public final class LoopbackDrivers implements AutoCloseable {
    private static final Duration BOOT_WAIT = Duration.ofSeconds(10);

    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final RptunResource resource;
    private final Side master = new Side(true);
    private final Side remote = new Side(false);
    /** Bumped by the master's start: a remote attaches to each boot once. */
    private final Object bootLock = new Object();
    private int boots;

    private LoopbackDrivers(RptunRsc rsc, long size) {
        memory = arena.allocate(size, 4096);
        resource = RptunResource.nuttx(memory, 0, AddressEnvironment.identity(), rsc);
    }

    /** A pair over {@code rsc} (NuttX's form) in a fresh segment of {@code size} bytes, identity addresses. */
    public static LoopbackDrivers of(RptunRsc rsc, long size) {
        return new LoopbackDrivers(rsc, size);
    }

    /** NuttX's standard table with 16-descriptor vrings and 512-byte buffers, in 256 KiB. */
    public static LoopbackDrivers standard() {
        return of(RpmsgLoopback.table(16, 512), 0x40000);
    }

    /** The master's driver (cpu "ap"). */
    public Side master() {
        return master;
    }

    /** The remote's driver (cpu "cp"). */
    public Side remote() {
        return remote;
    }

    /** The shared segment (for tests that look at, or damage, what the sides wrote). */
    public MemorySegment memory() {
        return memory;
    }

    /** The resource both sides share. */
    public RptunResource resource() {
        return resource;
    }

    /** One side of the pair. */
    public final class Side implements RptunDriver {
        private final boolean isMaster;
        private volatile @Nullable RptunCallback callback;
        private final AtomicInteger starts = new AtomicInteger();
        private final AtomicInteger stops = new AtomicInteger();
        private final AtomicInteger resets = new AtomicInteger();
        private volatile boolean hasResetOp;
        private int attached;

        private Side(boolean isMaster) {
            this.isMaster = isMaster;
        }

        private Side other() {
            return isMaster ? remote : master;
        }

        @Override
        public String localCpuName() {
            return isMaster ? "ap" : "cp";
        }

        @Override
        public String remoteCpuName() {
            return isMaster ? "cp" : "ap";
        }

        @Override
        public RptunResource resource() {
            return resource;
        }

        @Override
        public boolean isMaster() {
            return isMaster;
        }

        /**
         * Master: counts a boot. Remote: waits up to 10 s for a boot it has not attached to yet.
         *
         * @throws IllegalStateException if no boot came, or the thread was interrupted
         */
        @Override
        public void start() {
            starts.incrementAndGet();
            synchronized (bootLock) {
                if (isMaster) {
                    boots++;
                    bootLock.notifyAll();
                    return;
                }
                long deadline = System.nanoTime() + BOOT_WAIT.toNanos();
                while (boots <= attached) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException("no boot to attach to within " + BOOT_WAIT);
                    }
                    try {
                        bootLock.wait(left / 1_000_000 + 1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for a boot");
                    }
                }
                attached = boots;
            }
        }

        @Override
        public void stop() {
            stops.incrementAndGet();
        }

        /** Calls the other side's callback at once, on this thread. */
        @Override
        public void notify(int notifyId) {
            RptunCallback c = other().callback;
            if (c != null) {
                c.notified(notifyId);
            }
        }

        @Override
        public void registerCallback(@Nullable RptunCallback callback) {
            this.callback = callback;
        }

        /** True (and counted) only while {@link #offerResetOp} is on; otherwise {@code Rptun} uses the mailbox. */
        @Override
        public boolean reset(int value) {
            if (!hasResetOp) {
                return false;
            }
            resets.incrementAndGet();
            return true;
        }

        /** Whether {@link #reset} claims to have a reset op. Off at first. */
        public void offerResetOp(boolean value) {
            hasResetOp = value;
        }

        /** The callback {@code Rptun} registered, or null: a test can play the platform's findings through it. */
        public @Nullable RptunCallback callback() {
            return callback;
        }

        /** {@link #start} calls so far. */
        public int starts() {
            return starts.get();
        }

        /** {@link #stop} calls so far. */
        public int stops() {
            return stops.get();
        }

        /** {@link #reset} calls that found the reset op on. */
        public int resets() {
            return resets.get();
        }

        @Override
        public String toString() {
            return "LoopbackDrivers.Side[" + localCpuName() + (isMaster ? ", master]" : ", remote]");
        }
    }

    /** Frees the shared segment. Close both sides' {@code Rptun}s first. */
    @Override
    public void close() {
        arena.close();
    }
}
