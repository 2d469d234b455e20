package io.rptun.sim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a Java side takes the place of one of NuttX's simulator processes.
 *
 * @param path the shared file ({@value NuttxSimLayout#DEFAULT_PATH} by default)
 * @param hostName the master's cpu name (NuttX's {@code server})
 * @param remoteName the slave's cpu name (NuttX's {@code proxy})
 * @param attachTimeout how long to wait for the file, the peer's boot and the handshake
 * @param idle how the serving thread waits between looks at the peer's counter
 * @param maxPark the longest pause between two looks (NuttX itself looks every 10 ms)
 * @param peerPid the peer's pid if known; 0 to find it (the process that maps the file)
 * @param watchPeriod how often the peer's process is checked and the entropy devices served
 * @param deleteOnClose whether a master deletes the file it created when it closes
 */
public record NuttxSimOptions(Path path, String hostName, String remoteName, Duration attachTimeout,
        IdleStrategy idle, Duration maxPark, long peerPid, Duration watchPeriod, boolean deleteOnClose) {
    public NuttxSimOptions {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(hostName, "hostName");
        Objects.requireNonNull(remoteName, "remoteName");
        Objects.requireNonNull(attachTimeout, "attachTimeout");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(maxPark, "maxPark");
        Objects.requireNonNull(watchPeriod, "watchPeriod");
        if (attachTimeout.isNegative() || maxPark.isNegative() || watchPeriod.toMillis() < 1 || peerPid < 0) {
            throw new IllegalArgumentException("attachTimeout=" + attachTimeout + ", maxPark=" + maxPark
                    + ", watchPeriod=" + watchPeriod + ", peerPid=" + peerPid);
        }
    }

    /**
     * {@code /dev/shm/server-proxy}, cpu names {@code server} and {@code proxy}, 30 s to attach, back-off
     * idling with looks at least every millisecond, the peer found by its mapping and checked every 100 ms,
     * the file deleted on close.
     */
    public static NuttxSimOptions defaults() {
        return new NuttxSimOptions(Path.of(NuttxSimLayout.DEFAULT_PATH), NuttxSimLayout.SERVER, NuttxSimLayout.PROXY,
                Duration.ofSeconds(30), IdleStrategy.backoff(), Duration.ofMillis(1), 0, Duration.ofMillis(100), true);
    }

    public NuttxSimOptions withPath(Path value) {
        return new NuttxSimOptions(value, hostName, remoteName, attachTimeout, idle, maxPark, peerPid, watchPeriod,
                deleteOnClose);
    }

    public NuttxSimOptions withNames(String host, String remote) {
        return new NuttxSimOptions(path, host, remote, attachTimeout, idle, maxPark, peerPid, watchPeriod,
                deleteOnClose);
    }

    public NuttxSimOptions withAttachTimeout(Duration value) {
        return new NuttxSimOptions(path, hostName, remoteName, value, idle, maxPark, peerPid, watchPeriod,
                deleteOnClose);
    }

    public NuttxSimOptions withIdle(IdleStrategy value) {
        return new NuttxSimOptions(path, hostName, remoteName, attachTimeout, value, maxPark, peerPid, watchPeriod,
                deleteOnClose);
    }

    public NuttxSimOptions withPeerPid(long value) {
        return new NuttxSimOptions(path, hostName, remoteName, attachTimeout, idle, maxPark, value, watchPeriod,
                deleteOnClose);
    }

    public NuttxSimOptions withWatchPeriod(Duration value) {
        return new NuttxSimOptions(path, hostName, remoteName, attachTimeout, idle, maxPark, peerPid, value,
                deleteOnClose);
    }

    public NuttxSimOptions withDeleteOnClose(boolean value) {
        return new NuttxSimOptions(path, hostName, remoteName, attachTimeout, idle, maxPark, peerPid, watchPeriod,
                value);
    }
}
