package io.rptun.sim;

import io.rptun.core.memory.SharedAccess;
import io.rptun.core.virtio.PeerNotifier;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The second process of {@code FutexDoorbellTest}'s cross-process check: opens the simulator file, and as
 * the REMOTE side answers every ping (a counter the host writes at region offset 0) with the same value at
 * offset 64, ringing the host each time. Exits 0 after the last round, 2 if a wake-up never came.
 *
 * <p>Arguments: the file path, the number of rounds, and optionally {@code sleep} to go straight to the
 * futex on every wait instead of backing off first.
 */
public final class FutexPongMain {
    static final long PING = 0;
    static final long PONG = 64;
    static final Duration AWAIT = Duration.ofSeconds(30);

    private FutexPongMain() {
    }

    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        IdleStrategy idle = args.length > 2 && args[2].equals("sleep")
                ? IdleStrategy.of(0, 0, Duration.ZERO, Duration.ZERO) : IdleStrategy.backoff();
        try (SimFile file = SimFile.open(path, AWAIT);
                FutexDoorbell bell = FutexDoorbell.of(file.header(), SimHeader.Side.REMOTE, idle)) {
            MemorySegment region = file.region();
            file.header().setPid(SimHeader.Side.REMOTE, ProcessHandle.current().pid());
            for (int i = 1; i <= rounds; i++) {
                while (SharedAccess.getIntAcquire(region, PING) != i) {
                    if (!bell.await(AWAIT)) {
                        System.err.println("lost wake-up: no ping " + i + " within " + AWAIT + ", " + bell);
                        System.exit(2);
                    }
                }
                SharedAccess.putIntRelease(region, PONG, i);
                bell.notify(PeerNotifier.ALL);
            }
            System.out.println("answered " + rounds + " pings, " + bell);
        }
    }
}
