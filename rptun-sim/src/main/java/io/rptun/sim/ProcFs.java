package io.rptun.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What Linux's {@code /proc} says about who uses a file or a socket path, read without touching either: the
 * evidence the simulator needs before it replaces something it did not create in this process.
 *
 * <ul>
 * <li>{@link #mapper}: a process that has the file mapped ({@code /proc/PID/maps} lists device and inode of
 * every mapped file). A live link is always mapped by its host, and by its remote once attached.</li>
 * <li>{@link #hasListener}: a socket bound to the path that accepts connections ({@code /proc/net/unix},
 * flag {@code __SO_ACCEPTCON}). This is read instead of trying to connect, because a connection would be
 * taken by a live listener as its peer (OpenAMP's echo remote accepts exactly one).</li>
 * </ul>
 * Processes whose maps cannot be read (another user's, when not root) are passed over: callers combine this
 * with the pids a file names.
 */
final class ProcFs {
    private static final Path PROC = Path.of("/proc");
    private static final Path NET_UNIX = Path.of("/proc/net/unix");
    /** {@code __SO_ACCEPTCON} in {@code /proc/net/unix}'s Flags column: the socket listens. */
    private static final long SO_ACCEPTCON = 0x10000;

    private ProcFs() {
    }

    /** The pid of a process that maps the file {@code state} names, if any can be seen. */
    static OptionalLong mapper(PathState state) {
        List<Long> all = mappers(state, true);
        return all.isEmpty() ? OptionalLong.empty() : OptionalLong.of(all.getFirst());
    }

    /** Every process that maps the file {@code state} names, as far as they can be seen. */
    static List<Long> mappers(PathState state) {
        return mappers(state, false);
    }

    private static List<Long> mappers(PathState state, boolean firstOnly) {
        List<Long> found = new ArrayList<>();
        if (state.absent()) {
            return found;
        }
        long major = ((state.dev() >>> 8) & 0xfff) | ((state.dev() >>> 32) & ~0xfffL);
        long minor = (state.dev() & 0xff) | ((state.dev() >>> 12) & ~0xffL);
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC)) {
            for (Path dir : pids) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || name.isEmpty()) {
                    continue;
                }
                if (maps(dir.resolve("maps"), major, minor, state.ino())) {
                    found.add(Long.parseLong(name));
                    if (firstOnly) {
                        return found;
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return found;
        }
        return found;
    }

    private static boolean maps(Path maps, long major, long minor, long ino) {
        try (BufferedReader in = Files.newBufferedReader(maps, StandardCharsets.ISO_8859_1)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                // address perms offset dev inode path: "7f00-7f10 rw-s 00000000 00:1a 12345 /dev/shm/x"
                String[] f = line.trim().split("\\s+", 6);
                if (f.length < 5 || f[4].equals("0")) {
                    continue;
                }
                int colon = f[3].indexOf(':');
                if (colon < 0 || Long.parseLong(f[4]) != ino) {
                    continue;
                }
                if (Long.parseLong(f[3], 0, colon, 16) == major
                        && Long.parseLong(f[3], colon + 1, f[3].length(), 16) == minor) {
                    return true;
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return false; // gone meanwhile, or not ours to read
        }
        return false;
    }

    /**
     * Whether a socket bound to {@code path} listens, by {@code /proc/net/unix}; empty if that table cannot
     * be read (then the caller must decide without it).
     */
    static Optional<Boolean> hasListener(Path path) {
        String wanted = path.toAbsolutePath().normalize().toString();
        String given = path.toString();
        try (BufferedReader in = Files.newBufferedReader(NET_UNIX, StandardCharsets.ISO_8859_1)) {
            in.readLine(); // Num RefCount Protocol Flags Type St Inode Path
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] f = line.trim().split("\\s+", 8);
                if (f.length < 8) {
                    continue;
                }
                String p = f[7];
                if ((p.equals(wanted) || p.equals(given)) && (Long.parseLong(f[3], 16) & SO_ACCEPTCON) != 0) {
                    return Optional.of(true);
                }
            }
            return Optional.of(false);
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** This process's user id, or -1 if it cannot be read. */
    static int myUid() {
        try {
            return (Integer) Files.getAttribute(PROC.resolve("self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    /** True if a process with this pid is alive (pid 0 or below: false). */
    static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
