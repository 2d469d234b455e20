package io.rptun.sim;

import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunResource;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.virtio.Doorbell;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ResourceTableException;
import io.rptun.core.rsc.ResourceTableParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * OpenAMP's Linux userspace machine (docs/protocols.md section 5) as an {@link RptunDriver}, so a Java
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
     * then maps {@code shm}, which the remote created before it listened. Nothing is written to {@code shm}
     * unless it is a regular file of the demo's size holding an OpenAMP resource table.
     *
     * @throws SimException TIMEOUT when nobody listens; NOT_A_SOCKET, NOT_A_REGULAR_FILE at once for paths of
     *     the wrong kind; FILE_MISSING, WRONG_SIZE, READ_ONLY, FOREIGN_FILE for the file
     */
    public static OpenAmpLinuxDriver host(Path shm, Path socket, Duration connectTimeout) {
        UnixSocketDoorbell.checkNotOtherThanSocket(socket);
        PathState state = PathState.of(shm);
        if (!state.absent() && state.kind() != PathState.Kind.REGULAR) {
            throw new SimException(SimException.Reason.NOT_A_REGULAR_FILE, shm + ": is " + state.describe()
                    + ", not OpenAMP's shared-memory file; it was left as it is");
        }
        UnixSocketDoorbell bell = UnixSocketDoorbell.connect(socket, connectTimeout);
        try {
            SimFile file = SimFile.openRaw(shm, OpenAmpLinuxProfile.SHM_SIZE);
            try {
                checkParses(file);
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
            return new OpenAmpLinuxDriver(true, file, socket, connectTimeout, bell);
        } catch (RuntimeException e) {
            bell.close();
            throw e;
        }
    }

    private static void checkParses(SimFile file) {
        try {
            ResourceTableParser.parse(file.segment(), ParseMode.OPENAMP);
        } catch (ResourceTableException e) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, file.path() + ": does not hold an OpenAMP"
                    + " resource table (" + e.getMessage() + "); it was left as it is", e);
        }
    }

    /**
     * The remote (virtio device): creates {@code shm} exclusively and writes the table; it listens on
     * {@code socket} when started, waiting up to {@code acceptTimeout} for the host.
     *
     * <p>An existing file at {@code shm} is replaced only if it is a stale demo file: a regular file of ours
     * of exactly {@link OpenAmpLinuxProfile#SHM_SIZE} bytes whose first bytes are the demo's table (status
     * and negotiated features aside), that no process maps and whose socket has no listener. Everything else
     * is refused untouched, as is a {@code socket} path that holds something other than a socket.
     *
     * @param deleteOnClose whether close (or the JVM's exit) deletes the file, if it is still the one made here
     * @throws SimException FOREIGN_FILE, IN_USE, NOT_A_REGULAR_FILE, NOT_A_SOCKET, READ_ONLY
     */
    public static OpenAmpLinuxDriver remote(Path shm, Path socket, Duration acceptTimeout, boolean deleteOnClose) {
        UnixSocketDoorbell.checkNotOtherThanSocket(socket);
        if (PathState.of(socket).kind() == PathState.Kind.SOCKET && UnixSocketDoorbell.hasListener(socket)) {
            throw new SimException(SimException.Reason.IN_USE, socket + ": a process is listening on it (another"
                    + " remote?); it was left as it is");
        }
        for (int attempt = 0; ; attempt++) {
            PathState existing = PathState.of(shm);
            if (!existing.absent()) {
                checkStaleDemoFile(existing, socket);
                existing.deleteIfUnchanged();
            }
            try {
                SimFile file = SimFile.createRaw(shm, OpenAmpLinuxProfile.SHM_SIZE, deleteOnClose);
                OpenAmpLinuxProfile.writeTable(file.segment());
                return new OpenAmpLinuxDriver(false, file, socket, acceptTimeout, null);
            } catch (SimException e) {
                if (e.reason() != SimException.Reason.FILE_EXISTS || attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    /** Returns normally only for a stale demo file at {@code existing}; throws the refusal otherwise. */
    private static void checkStaleDemoFile(PathState existing, Path socket) {
        Path shm = existing.path();
        String left = "; it was left as it is";
        existing.requireOwnRegularWritable("OpenAMP's shared-memory file");
        if (existing.size() != OpenAmpLinuxProfile.SHM_SIZE) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, shm + ": is " + existing.size() + " bytes, not"
                    + " OpenAMP's demo region (" + OpenAmpLinuxProfile.SHM_SIZE + " bytes)" + left);
        }
        byte[] head = new byte[OpenAmpLinuxProfile.resourceTable().length];
        try (FileChannel channel = FileChannel.open(shm, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.wrap(head);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read the table's bytes
            }
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, shm + ": cannot read it: " + e + left, e);
        }
        if (!OpenAmpLinuxProfile.isDemoTable(head)) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, shm + ": does not start with OpenAMP's demo"
                    + " resource table" + left);
        }
        OptionalLong mapper = ProcFs.mapper(existing);
        if (mapper.isPresent()) {
            throw new SimException(SimException.Reason.IN_USE, shm + ": is in use: process " + mapper.getAsLong()
                    + " has it mapped" + left);
        }
        if (PathState.of(socket).kind() == PathState.Kind.SOCKET && UnixSocketDoorbell.hasListener(socket)) {
            throw new SimException(SimException.Reason.IN_USE, shm + ": is in use: a process listens on " + socket
                    + left);
        }
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
