package io.rptun.benchmarks;

import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgOptions;
import io.rptun.core.virtio.PeerNotifier;
import io.rptun.sim.SimOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The design probes' rig: a host and a remote {@link RpmsgDevice} straight from NuttX's resource table over a
 * mapped {@code /dev/shm} file, with no lifecycle and no serving threads (the probe drives them), the table
 * {@link SimLink}'s links use ({@value SimLink#NUM} × {@value SimLink#BUFFER_SIZE}).
 */
final class BareDevices {
    /** Both sides of one link. */
    record Pair(RpmsgDevice host, RpmsgDevice remote) {
    }

    private BareDevices() {
    }

    /**
     * Maps {@code size} bytes of a new file under {@code /dev/shm} into {@code arena} and deletes the file at
     * once: it is created here (refused if the name exists), so the one delete is of our own file, and the
     * mapping lives until the arena closes with nothing left behind if the trial dies.
     */
    static MemorySegment mapUnlinked(String tag, long size, Arena arena) throws IOException {
        Path f = SimLink.freshPath(tag);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** A host and a remote over {@code region}, each ringing the other through its notifier. */
    static Pair attach(MemorySegment region, PeerNotifier hostNotifier, PeerNotifier remoteNotifier) {
        RptunResource resource = RptunResource.nuttx(region, 0, AddressEnvironment.identity(),
                SimOptions.table(SimLink.NUM, SimLink.BUFFER_SIZE));
        RpmsgDevice host = resource.attach(true, hostNotifier, RpmsgOptions.defaults().withName("host")).device();
        RpmsgDevice remote = resource.attach(false, remoteNotifier, RpmsgOptions.defaults().withName("remote"))
                .device();
        return new Pair(host, remote);
    }

    /** Runs {@code pump} (the probe's serving) until {@code ep} is bound, for at most 10 s. */
    static void awaitBound(RpmsgEndpoint ep, Runnable pump) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ep.awaitBound(Duration.ofMillis(1))) {
            pump.run();
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(ep + " not bound within 10 s");
            }
        }
    }
}
