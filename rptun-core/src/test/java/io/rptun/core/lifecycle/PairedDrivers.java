package io.rptun.core.lifecycle;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.rsc.RptunRsc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** Two in-process drivers over one segment: a master and a remote, for lifecycle tests. */
final class PairedDrivers implements AutoCloseable {
    final Arena arena = Arena.ofShared();
    final MemorySegment memory;
    final RptunResource resource;
    final Side master = new Side(true);
    final Side remote = new Side(false);
    /** Bumped by the master's start: a remote attaches to each boot once. */
    private final Object bootLock = new Object();
    private int boots;

    PairedDrivers(RptunRsc rsc, long size) {
        memory = arena.allocate(size, 4096);
        resource = RptunResource.nuttx(memory, 0, AddressEnvironment.identity(), rsc);
    }

    static PairedDrivers standard() {
        return new PairedDrivers(RpmsgLoopback.table(16, 512), 0x40000);
    }

    final class Side implements RptunDriver {
        final boolean isMaster;
        volatile @Nullable RptunCallback callback;
        final AtomicInteger starts = new AtomicInteger();
        final AtomicInteger stops = new AtomicInteger();
        final AtomicInteger resets = new AtomicInteger();
        volatile boolean hasResetOp;
        private int attached;

        Side(boolean isMaster) {
            this.isMaster = isMaster;
        }

        Side other() {
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

        @Override
        public void start() {
            starts.incrementAndGet();
            synchronized (bootLock) {
                if (isMaster) {
                    boots++;
                    bootLock.notifyAll();
                    return;
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (boots <= attached) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException("no boot to attach to");
                    }
                    try {
                        bootLock.wait(left / 1_000_000 + 1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted");
                    }
                }
                attached = boots;
            }
        }

        @Override
        public void stop() {
            stops.incrementAndGet();
        }

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

        @Override
        public boolean reset(int value) {
            if (!hasResetOp) {
                return false;
            }
            resets.incrementAndGet();
            return true;
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
