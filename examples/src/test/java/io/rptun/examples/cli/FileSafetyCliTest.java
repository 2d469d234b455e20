package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.examples.cli.RptunCliTest.Run;
import io.rptun.sim.PathKinds;
import io.rptun.sim.PathKinds.Kind;
import io.rptun.sim.PathKinds.Made;
import io.rptun.sim.SimFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command that takes a path, over every kind of thing a user may have at that path: the expected exit
 * code, and for every refusal one line on stderr and the path's bytes, inode and mode unchanged; what a
 * command created is gone when it ends.
 */
@Timeout(600)
class FileSafetyCliTest {
    private static final String WAIT = "300";
    private static final Set<Kind> NOT_REGULAR = EnumSet.of(Kind.DIRECTORY, Kind.SYMLINK_TO_FILE, Kind.FIFO,
            Kind.SOCKET_WITH_LISTENER, Kind.SOCKET_WITHOUT_LISTENER);

    @TempDir
    Path dir;

    /** A command with the path under test in one of its places. */
    enum Command {
        HOST, REMOTE, OPENAMP_REMOTE_SHM, OPENAMP_REMOTE_SOCKET, OPENAMP_PING_SHM, OPENAMP_PING_SOCKET,
        OPENAMP_HOST_SHM, OPENAMP_HOST_SOCKET, DUMP;

        String[] args(Path path, Path freshShm, Path freshSocket) {
            String p = path.toString();
            String shm = freshShm.toString();
            String sock = freshSocket.toString();
            return switch (this) {
                case HOST -> new String[] {"host", p, "--wait-ms", WAIT};
                case REMOTE -> new String[] {"remote", p, "--wait-ms", WAIT};
                case OPENAMP_REMOTE_SHM -> new String[] {"remote", "--openamp-linux", "--shm", p, "--socket", sock,
                    "--wait-ms", WAIT};
                case OPENAMP_REMOTE_SOCKET -> new String[] {"remote", "--openamp-linux", "--shm", shm, "--socket", p,
                    "--wait-ms", WAIT};
                case OPENAMP_PING_SHM -> new String[] {"ping", "--openamp-linux", "--shm", p, "--socket", sock,
                    "--wait-ms", WAIT, "-n", "1"};
                case OPENAMP_PING_SOCKET -> new String[] {"ping", "--openamp-linux", "--shm", shm, "--socket", p,
                    "--wait-ms", WAIT, "-n", "1"};
                case OPENAMP_HOST_SHM -> new String[] {"host", "--openamp-linux", "--shm", p, "--socket", sock,
                    "--wait-ms", WAIT};
                case OPENAMP_HOST_SOCKET -> new String[] {"host", "--openamp-linux", "--shm", shm, "--socket", p,
                    "--wait-ms", WAIT};
                case DUMP -> new String[] {"dump", p};
            };
        }

        /** The exit code expected with {@code kind} at the path. */
        int expected(Kind kind) {
            return switch (this) {
                // Creates over nothing or a stale link, then waits in vain for a remote: the link failed.
                case HOST -> kind == Kind.ABSENT || kind == Kind.STALE_LINK ? ExitCodes.FAILED : ExitCodes.BAD_INPUT;
                // Attaches to the live (never started) host and waits in vain for its layout.
                case REMOTE -> kind == Kind.LIVE_LINK ? ExitCodes.FAILED : ExitCodes.BAD_INPUT;
                // Creates over nothing or a stale demo file, then nobody connects.
                case OPENAMP_REMOTE_SHM -> kind == Kind.ABSENT || kind == Kind.STALE_OPENAMP ? ExitCodes.FAILED
                        : ExitCodes.BAD_INPUT;
                case OPENAMP_REMOTE_SOCKET -> kind == Kind.ABSENT || kind == Kind.SOCKET_WITHOUT_LISTENER
                        ? ExitCodes.FAILED : ExitCodes.BAD_INPUT;
                // Nobody listens on the fresh socket: only a path of the wrong kind is refused before that.
                case OPENAMP_PING_SHM, OPENAMP_HOST_SHM -> NOT_REGULAR.contains(kind) ? ExitCodes.BAD_INPUT
                        : ExitCodes.FAILED;
                // A listener that never answers is connected to, then the missing shm file is bad input.
                case OPENAMP_PING_SOCKET, OPENAMP_HOST_SOCKET -> kind == Kind.ABSENT
                        || kind == Kind.SOCKET_WITHOUT_LISTENER ? ExitCodes.FAILED : ExitCodes.BAD_INPUT;
                case DUMP -> EnumSet.of(Kind.LIVE_LINK, Kind.STALE_LINK, Kind.LIVE_OPENAMP, Kind.STALE_OPENAMP)
                        .contains(kind) ? ExitCodes.OK : ExitCodes.BAD_INPUT;
            };
        }

        /** True where the command may make the path its own (and must remove it when it ends). */
        boolean mayReplace(Kind kind) {
            return switch (this) {
                case HOST -> kind == Kind.STALE_LINK;
                case OPENAMP_REMOTE_SHM -> kind == Kind.STALE_OPENAMP;
                case OPENAMP_REMOTE_SOCKET -> kind == Kind.SOCKET_WITHOUT_LISTENER;
                default -> false;
            };
        }
    }

    static Stream<Arguments> everyCommandOverEveryKindOfPath() {
        List<Arguments> all = new ArrayList<>();
        for (Command c : Command.values()) {
            for (Kind k : Kind.values()) {
                all.add(Arguments.of(c, k));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("everyCommandOverEveryKindOfPath")
    void aCommandTouchesOnlyWhatItMayAndRefusesTheRestUnchanged(Command command, Kind kind) throws Exception {
        Path path = dir.resolve("target");
        Path freshShm = dir.resolve("fresh.shm");
        Path freshSocket = dir.resolve("fresh.sock");
        try (Made made = PathKinds.make(kind, path, dir.resolve("made.sock"))) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(path);

            Run r = RptunCliTest.run(command.args(path, freshShm, freshSocket));

            assertThat(r.code()).as("exit code; stderr: %s", r.err()).isEqualTo(command.expected(kind));
            if (r.code() == ExitCodes.BAD_INPUT) {
                assertThat(r.err().strip().lines()).as("one line on stderr").hasSize(1);
                assertThat(r.err()).doesNotContain("\tat ");
            }
            if (kind == Kind.ABSENT || command.mayReplace(kind)) {
                assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).as("what it created is gone").isFalse();
            } else if (command == Command.REMOTE && kind == Kind.LIVE_LINK) {
                // A remote attaching to a live link writes its own side block there: same file, still there.
                PathKinds.Fingerprint after = PathKinds.fingerprint(path);
                assertThat(List.of(after.kind(), after.ino(), after.mode(), after.size()))
                        .isEqualTo(List.of(before.kind(), before.ino(), before.mode(), before.size()));
            } else {
                assertThat(PathKinds.fingerprint(path)).as("%s left exactly as it was", kind).isEqualTo(before);
            }
            assertThat(freshShm).as("no shm file left behind").doesNotExist();
            assertThat(freshSocket).as("no socket file left behind").doesNotExist();
        }
    }

    @Test
    void theDemoRefusesAForeignFileWhereItsOwnFileWouldGo() throws Exception {
        Path own = SimFile.shmPath("rptun-demo-" + ProcessHandle.current().pid());
        try (Made made = PathKinds.make(Kind.FOREIGN_FILE, own, dir.resolve("unused.sock"))) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(own);
            Run r = RptunCliTest.run("demo", "-n", "10", "--pings", "10");
            assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.err()).contains(own.toString()).contains("FOREIGN_FILE");
            assertThat(PathKinds.fingerprint(own)).isEqualTo(before);
        }
    }

    @Test
    void anExampleRefusesAForeignFileWhereItsOwnFileWouldGo() throws Exception {
        Path own = SimFile.shmPath("rptun-example-core-echo-" + ProcessHandle.current().pid());
        try (Made made = PathKinds.make(Kind.FOREIGN_FILE, own, dir.resolve("unused.sock"))) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(own);
            Run r = RptunCliTest.run("example", "core-echo");
            assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.err()).contains(own.toString());
            assertThat(PathKinds.fingerprint(own)).isEqualTo(before);
        }
    }
}
