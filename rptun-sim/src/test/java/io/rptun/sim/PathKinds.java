package io.rptun.sim;

import io.rptun.core.openamp.OpenAmpLinuxProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Every kind of thing a user may have at a path that rptun is given, made for a test, and a fingerprint
 * (kind, inode, mode, content checksum; for a link, its target's too) to prove afterwards that a refusal left
 * it exactly as it was. Shared with the command line's tests (the test jar).
 */
public final class PathKinds {
    /** What is put at the path. */
    public enum Kind {
        ABSENT, FOREIGN_FILE, EMPTY_FILE, DIRECTORY, SYMLINK_TO_FILE, FIFO, READ_ONLY_FILE, LIVE_LINK, STALE_LINK,
        LIVE_OPENAMP, STALE_OPENAMP, SOCKET_WITH_LISTENER, SOCKET_WITHOUT_LISTENER
    }

    /** A made path and what keeps it alive (a live link's mapping, a listener); close removes everything. */
    public static final class Made implements AutoCloseable {
        private final Path path;
        private final Kind kind;
        private final List<AutoCloseable> resources = new ArrayList<>();
        private final List<Path> extra = new ArrayList<>();

        private Made(Path path, Kind kind) {
            this.path = path;
            this.kind = kind;
        }

        public Path path() {
            return path;
        }

        public Kind kind() {
            return kind;
        }

        @Override
        public void close() throws Exception {
            for (AutoCloseable r : resources.reversed()) {
                r.close();
            }
            deleteAnything(path);
            for (Path p : extra) {
                deleteAnything(p);
            }
        }
    }

    /** What a path looked like: compare two with equals. */
    public record Fingerprint(PathState.Kind kind, long ino, int mode, long size, long crc, String target) {
    }

    private PathKinds() {
    }

    /** Puts {@code kind} at {@code path} (which must be free); {@code socket} is an OpenAMP file's socket. */
    public static Made make(Kind kind, Path path, Path socket) throws Exception {
        Made made = new Made(path, kind);
        switch (kind) {
            case ABSENT -> {
            }
            case FOREIGN_FILE -> Files.writeString(path, "my notes: do not lose these\n".repeat(40));
            case EMPTY_FILE -> Files.write(path, new byte[0]);
            case DIRECTORY -> {
                Files.createDirectory(path);
                Files.writeString(path.resolve("inside.txt"), "inside");
            }
            case SYMLINK_TO_FILE -> {
                Path target = path.resolveSibling(path.getFileName() + ".target");
                Files.writeString(target, "the link's target\n".repeat(50));
                Files.createSymbolicLink(path, target);
                made.extra.add(target);
            }
            case FIFO -> {
                Process p = new ProcessBuilder("mkfifo", "-m", "600", path.toString()).inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IOException("mkfifo " + path + " failed");
                }
            }
            case READ_ONLY_FILE -> {
                Files.writeString(path, "read only\n".repeat(100));
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("r--r--r--"));
            }
            case LIVE_LINK -> made.resources.add(SimDriver.host(SimOptions.defaults("unused").withPath(path), null)::close);
            case STALE_LINK -> {
                try (SimFile file = SimFile.create(path, SimOptions.DEFAULT_REGION_SIZE, false)) {
                    file.header().initialise(SimOptions.DEFAULT_REGION_SIZE, deadPid());
                    file.header().setPid(SimHeader.Side.HOST, deadPid());
                    file.header().publishReady();
                }
            }
            case LIVE_OPENAMP -> {
                made.resources.add(OpenAmpLinuxDriver.remote(path, socket, java.time.Duration.ofSeconds(1), true)::close);
                ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                listener.bind(UnixDomainSocketAddress.of(socket));
                made.resources.add(listener);
                made.extra.add(socket);
            }
            case STALE_OPENAMP -> {
                try (SimFile file = SimFile.createRaw(path, OpenAmpLinuxProfile.SHM_SIZE, false)) {
                    OpenAmpLinuxProfile.writeTable(file.segment());
                    file.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0x2C, (byte) 0x0F); // a status
                }
            }
            case SOCKET_WITH_LISTENER -> {
                ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                listener.bind(UnixDomainSocketAddress.of(path));
                made.resources.add(listener);
            }
            case SOCKET_WITHOUT_LISTENER -> {
                try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    listener.bind(UnixDomainSocketAddress.of(path));
                }
            }
        }
        return made;
    }

    /** The fingerprint of what is at {@code path} now. */
    public static Fingerprint fingerprint(Path path) {
        PathState s = PathState.of(path);
        long crc = 0;
        String target = "";
        try {
            if (s.kind() == PathState.Kind.REGULAR) {
                crc = crc(Files.readAllBytes(path));
            } else if (s.kind() == PathState.Kind.SYMLINK) {
                Path t = Files.readSymbolicLink(path);
                target = t + " " + fingerprint(path.resolveSibling(t));
            } else if (s.kind() == PathState.Kind.DIRECTORY) {
                try (var list = Files.list(path)) {
                    target = list.map(p -> p.getFileName().toString()).sorted().toList().toString();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Fingerprint(s.kind(), s.ino(), s.mode(), s.size(), crc, target);
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** The pid of a process that has exited: what a file left by a SIGKILLed process names. */
    public static long deadPid() {
        try {
            Process p = new ProcessBuilder("true").start();
            p.waitFor();
            return p.pid();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Removes whatever is at {@code path} (a directory with its content, a link but not its target). */
    public static void deleteAnything(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (var list = Files.list(path)) {
                for (Path p : list.toList()) {
                    deleteAnything(p);
                }
            }
        }
        Files.deleteIfExists(path);
    }

}
