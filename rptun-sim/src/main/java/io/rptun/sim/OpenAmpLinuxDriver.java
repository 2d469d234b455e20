package io.rptun.sim;

import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.rpmsg.Doorbell;
import io.rptun.core.rpmsg.OpenAmpLinuxProfile;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * OpenAMP's Linux userspace machine (wire-format.md section 5) as an {@link RptunDriver}, so a Java
 * program can stand in for either process of OpenAMP's two-process demo:
 * <ul>
 * <li>{@link #remote}: creates the 0x80000-byte shm file (mode 0600), writes the 88-byte table at offset
 * 0, then listens on the socket and accepts the host in {@link #start()}; its device waits for DRIVER_OK.</li>
 * <li>{@link #host}: connects to the socket (retrying while the remote is not listening yet), maps the
 * file the remote created and, as master, parses the table and posts its RX buffers.</li>
 * </ul>
 * Kicks are one 0x01 byte each way ({@link UnixSocketDoorbell}). OpenAMP has no mailbox and no heartbeat:
 * the peer is lost when the socket closes (a killed process closes it too).
 */
public final class OpenAmpLinuxDriver implements RptunDriver {
    private final boolean master;
    private final Path socket;
    private final Duration socketTimeout;
    private final SimFile file;
    private final RptunResource resource;
    private volatile @Nullable UnixSocketDoorbell doorbell;
    private volatile @Nullable RptunCallback callback;

    private OpenAmpLinuxDriver(boolean master, SimFile file, Path socket, Duration socketTimeout,
            @Nullable UnixSocketDoorbell doorbell) {
        this.master = master;
        this.file = file;
        this.socket = socket;
        this.socketTimeout = socketTimeout;
        this.doorbell = doorbell;
        this.resource = RptunResource.openAmpLinux(file.segment());
        if (doorbell != null) {
            watch(doorbell);
        }
    }

    /**
     * The host (virtio driver, master): connects to {@code socket} (retrying for {@code connectTimeout}),
     * then maps {@code shm}, which the remote created before it listened.
     *
     * @throws SimException TIMEOUT when nobody listens; FILE_MISSING / WRONG_SIZE for the file
     */
    public static OpenAmpLinuxDriver host(Path shm, Path socket, Duration connectTimeout) {
        UnixSocketDoorbell bell = UnixSocketDoorbell.connect(socket, connectTimeout);
        try {
            SimFile file = SimFile.openRaw(shm, OpenAmpLinuxProfile.SHM_SIZE);
            return new OpenAmpLinuxDriver(true, file, socket, connectTimeout, bell);
        } catch (RuntimeException e) {
            bell.close();
            throw e;
        }
    }

    /**
     * The remote (virtio device): creates {@code shm} (replacing a stale one) and writes the table; it
     * listens on {@code socket} when started, waiting up to {@code acceptTimeout} for the host.
     */
    public static OpenAmpLinuxDriver remote(Path shm, Path socket, Duration acceptTimeout, boolean deleteOnClose) {
        SimFile file = SimFile.createOrReplaceRaw(shm, OpenAmpLinuxProfile.SHM_SIZE, deleteOnClose);
        OpenAmpLinuxProfile.writeTable(file.segment());
        return new OpenAmpLinuxDriver(false, file, socket, acceptTimeout, null);
    }

    private void watch(UnixSocketDoorbell bell) {
        bell.onPeerClosed(() -> {
            RptunCallback c = callback;
            if (c != null) {
                c.peerLost("its end of " + socket + " closed");
            }
        });
    }

    /** The shared file. */
    public SimFile file() {
        return file;
    }

    @Override
    public String remoteCpuName() {
        return master ? "openamp-remote" : "openamp-host";
    }

    @Override
    public RptunResource resource() {
        return resource;
    }

    @Override
    public boolean isMaster() {
        return master;
    }

    @Override
    public void start() {
        if (!master && doorbell == null) {
            UnixSocketDoorbell bell = UnixSocketDoorbell.listen(socket, socketTimeout);
            doorbell = bell;
            watch(bell);
        }
    }

    @Override
    public void stop() {
        // The socket stays until close: OpenAMP's demo has no restart.
    }

    @Override
    public void notify(int notifyId) {
        UnixSocketDoorbell bell = doorbell;
        if (bell != null) {
            bell.notify(notifyId);
        }
    }

    @Override
    public void registerCallback(@Nullable RptunCallback callback) {
        this.callback = callback;
    }

    @Override
    public @Nullable Doorbell doorbell() {
        return doorbell;
    }

    @Override
    public void close() {
        UnixSocketDoorbell bell = doorbell;
        try {
            if (bell != null) {
                bell.close();
            }
        } finally {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "OpenAmpLinuxDriver[" + (master ? "host" : "remote") + " " + file.path() + " " + socket + "]";
    }

}
