package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.lifecycle.RptunCallback;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.sim.PathKinds.Kind;
import io.rptun.sim.PathKinds.Made;
import io.rptun.sim.SimException.Reason;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simulator's rule for paths, at the API: create only what is absent, replace only what is provably
 * stale, delete only what this process created, and leave everything else exactly as it was (bytes, inode,
 * mode), with a typed reason.
 */
@Timeout(120)
class FileSafetyTest {
    private static final Duration SHORT = Duration.ofMillis(200);

    @TempDir
    Path dir;

    private Path path() {
        return dir.resolve("link");
    }

    private Path socket() {
        return dir.resolve("event.sock");
    }

    /** Runs {@code action} over {@code kind}; a refusal must carry {@code expected} and leave the path as it was. */
    private void check(Kind kind, @Nullable Reason expected, Function<Path, AutoCloseable> action) throws Exception {
        try (Made made = PathKinds.make(kind, path(), socket())) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(path());
            if (expected == null) {
                try (AutoCloseable opened = action.apply(path())) {
                    assertThat(opened).isNotNull();
                }
                return;
            }
            assertThatThrownBy(() -> action.apply(path()).close())
                    .as("%s at the path", kind)
                    .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason()).as(e.getMessage())
                            .isEqualTo(expected));
            assertThat(PathKinds.fingerprint(path())).as("%s left as it was", kind).isEqualTo(before);
        }
    }

    private static final Map<Kind, @Nullable Reason> HOST = new java.util.EnumMap<>(Map.ofEntries(
            Map.entry(Kind.FOREIGN_FILE, Reason.FOREIGN_FILE),
            Map.entry(Kind.EMPTY_FILE, Reason.FOREIGN_FILE),
            Map.entry(Kind.DIRECTORY, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SYMLINK_TO_FILE, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.FIFO, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.READ_ONLY_FILE, Reason.READ_ONLY),
            Map.entry(Kind.LIVE_LINK, Reason.IN_USE),
            Map.entry(Kind.LIVE_OPENAMP, Reason.FOREIGN_FILE),
            Map.entry(Kind.STALE_OPENAMP, Reason.FOREIGN_FILE),
            Map.entry(Kind.SOCKET_WITH_LISTENER, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SOCKET_WITHOUT_LISTENER, Reason.NOT_A_REGULAR_FILE)));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aHostCreatesOrReplacesOnlyAStaleLinkAndRefusesEverythingElse(Kind kind) throws Exception {
        check(kind, HOST.get(kind), p -> SimDriver.host(SimOptions.defaults("x").withPath(p)
                .withLiveness(Duration.ofMillis(100)), null)::close);
        if (kind == Kind.ABSENT || kind == Kind.STALE_LINK) {
            assertThat(path()).as("closing the host deleted the file it made").doesNotExist();
        }
    }

    private static final Map<Kind, @Nullable Reason> REMOTE = new java.util.EnumMap<>(Map.ofEntries(
            Map.entry(Kind.ABSENT, Reason.FILE_MISSING),
            Map.entry(Kind.FOREIGN_FILE, Reason.WRONG_SIZE),
            Map.entry(Kind.EMPTY_FILE, Reason.NOT_READY),
            Map.entry(Kind.DIRECTORY, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SYMLINK_TO_FILE, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.FIFO, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.READ_ONLY_FILE, Reason.READ_ONLY),
            Map.entry(Kind.STALE_LINK, Reason.STALE),
            Map.entry(Kind.LIVE_OPENAMP, Reason.BAD_MAGIC),
            Map.entry(Kind.STALE_OPENAMP, Reason.BAD_MAGIC),
            Map.entry(Kind.SOCKET_WITH_LISTENER, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SOCKET_WITHOUT_LISTENER, Reason.NOT_A_REGULAR_FILE)));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRemoteAttachesOnlyToALiveLinkAndWritesNothingElse(Kind kind) throws Exception {
        check(kind, REMOTE.get(kind), p -> SimDriver.remote(SimOptions.defaults("x").withPath(p)
                .withAttachTimeout(SHORT))::close);
        if (kind == Kind.ABSENT) {
            assertThat(path()).as("a remote never creates the file").doesNotExist();
        }
    }

    private static final Map<Kind, @Nullable Reason> OPENAMP_REMOTE = new java.util.EnumMap<>(Map.ofEntries(
            Map.entry(Kind.FOREIGN_FILE, Reason.FOREIGN_FILE),
            Map.entry(Kind.EMPTY_FILE, Reason.FOREIGN_FILE),
            Map.entry(Kind.DIRECTORY, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SYMLINK_TO_FILE, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.FIFO, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.READ_ONLY_FILE, Reason.READ_ONLY),
            Map.entry(Kind.LIVE_LINK, Reason.FOREIGN_FILE),
            Map.entry(Kind.STALE_LINK, Reason.FOREIGN_FILE),
            Map.entry(Kind.LIVE_OPENAMP, Reason.IN_USE),
            Map.entry(Kind.SOCKET_WITH_LISTENER, Reason.NOT_A_REGULAR_FILE),
            Map.entry(Kind.SOCKET_WITHOUT_LISTENER, Reason.NOT_A_REGULAR_FILE)));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anOpenAmpRemoteReplacesOnlyAStaleDemoFile(Kind kind) throws Exception {
        check(kind, OPENAMP_REMOTE.get(kind), p -> OpenAmpLinuxDriver.remote(p, socket(), SHORT, true)::close);
        if (OPENAMP_REMOTE.get(kind) == null) {
            assertThat(path()).as("closing deleted the file it made").doesNotExist();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anOpenAmpRemoteRefusesASocketPathThatIsNotAStaleSocketBeforeCreatingAnything(Kind kind) throws Exception {
        Path shm = dir.resolve("openamp.shm");
        Reason expected = switch (kind) {
            case ABSENT, SOCKET_WITHOUT_LISTENER -> Reason.TIMEOUT; // nobody connects within SHORT
            case SOCKET_WITH_LISTENER -> Reason.IN_USE;
            default -> Reason.NOT_A_SOCKET;
        };
        try (Made made = PathKinds.make(kind, path(), dir.resolve("unused.sock"))) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(path());
            assertThatThrownBy(() -> {
                OpenAmpLinuxDriver remote = OpenAmpLinuxDriver.remote(shm, path(), SHORT, true);
                try {
                    remote.start();
                } finally {
                    remote.close();
                }
            }).isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason()).as(e.getMessage())
                    .isEqualTo(expected));
            if (expected == Reason.TIMEOUT) {
                assertThat(path()).as("its own socket file is gone").doesNotExist();
            } else {
                assertThat(PathKinds.fingerprint(path())).as("%s left as it was", kind).isEqualTo(before);
            }
            assertThat(shm).as("no shm file left behind").doesNotExist();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anOpenAmpHostWritesNothingToAPathThatIsNotTheDemosFile(Kind kind) throws Exception {
        // Nobody listens on the socket, so every attempt ends; what matters is that nothing was written.
        try (Made made = PathKinds.make(kind, path(), socket())) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(path());
            assertThatThrownBy(() -> OpenAmpLinuxDriver.host(path(), dir.resolve("nobody.sock"), SHORT).close())
                    .isInstanceOf(SimException.class);
            assertThat(PathKinds.fingerprint(path())).as("%s left as it was", kind).isEqualTo(before);
            assertThatThrownBy(() -> OpenAmpLinuxDriver.host(dir.resolve("nothing.shm"), path(), SHORT).close())
                    .isInstanceOf(SimException.class);
            assertThat(PathKinds.fingerprint(path())).as("%s as a socket path left as it was", kind).isEqualTo(before);
        }
    }

    @Test
    void anOpenAmpHostRefusesAFileOfTheDemosSizeThatHoldsNoTable() throws Exception {
        Path shm = dir.resolve("openamp.shm");
        byte[] junk = new byte[(int) io.rptun.core.openamp.OpenAmpLinuxProfile.SHM_SIZE];
        java.util.Arrays.fill(junk, (byte) 0x77);
        Files.write(shm, junk);
        PathKinds.Fingerprint before = PathKinds.fingerprint(shm);
        try (java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(socket()));
            assertThatThrownBy(() -> OpenAmpLinuxDriver.host(shm, socket(), SHORT).close())
                    .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                            .isEqualTo(Reason.FOREIGN_FILE));
        }
        assertThat(PathKinds.fingerprint(shm)).isEqualTo(before);
    }

    private static final Map<Kind, Reason> LISTEN = new java.util.EnumMap<>(Map.of(
            Kind.ABSENT, Reason.TIMEOUT,
            Kind.SOCKET_WITHOUT_LISTENER, Reason.TIMEOUT,
            Kind.SOCKET_WITH_LISTENER, Reason.IN_USE));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSocketIsBoundOnlyOverNothingOrAStaleSocket(Kind kind) throws Exception {
        Reason expected = LISTEN.getOrDefault(kind, Reason.NOT_A_SOCKET);
        try (Made made = PathKinds.make(kind, path(), socket())) {
            PathKinds.Fingerprint before = PathKinds.fingerprint(path());
            assertThatThrownBy(() -> UnixSocketDoorbell.listen(path(), SHORT).close())
                    .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason()).as(e.getMessage())
                            .isEqualTo(expected));
            if (expected == Reason.TIMEOUT) {
                assertThat(path()).as("the socket file it bound is gone").doesNotExist();
            } else {
                assertThat(PathKinds.fingerprint(path())).as("%s left as it was", kind).isEqualTo(before);
            }
        }
    }

    @Test
    void closeDeletesOnlyTheFileItMadeNotOneSomeonePutThereSince() throws Exception {
        SimFile file = SimFile.create(path(), SimOptions.DEFAULT_REGION_SIZE, true);
        Files.delete(path());
        Files.writeString(path(), "someone else's file now");
        file.close();
        assertThat(Files.readString(path())).isEqualTo("someone else's file now");
    }

    @Test
    void ofTwoHostsStartedAtTheSameInstantExactlyOneWinsAndTheOtherIsRefused() throws Exception {
        for (int round = 0; round < 10; round++) {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<SimDriver>> hosts = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                hosts.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return SimDriver.host(SimOptions.defaults("x").withPath(path()), null);
                }));
            }
            go.countDown();
            List<SimDriver> won = new ArrayList<>();
            List<Throwable> refused = new ArrayList<>();
            for (CompletableFuture<SimDriver> h : hosts) {
                try {
                    won.add(h.get(30, TimeUnit.SECONDS));
                } catch (java.util.concurrent.ExecutionException e) {
                    refused.add(e.getCause());
                }
            }
            assertThat(won).as("round %d", round).hasSize(1);
            assertThat(refused).singleElement().isInstanceOfSatisfying(SimException.class,
                    e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.IN_USE));
            won.getFirst().close();
            assertThat(path()).doesNotExist();
        }
    }

    @Test
    void aLinkLeftBySigkillIsReplacedAndOneLeftBySigtermIsDeletedOnTheWayOut() throws Exception {
        Process killed = holder(path());
        killed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(path()).as("SIGKILL leaves the file").exists();
        SimDriver replaced = SimDriver.host(SimOptions.defaults("x").withPath(path()), null);
        assertThat(replaced.file().header().creatorPid()).isEqualTo(ProcessHandle.current().pid());
        replaced.close();
        assertThat(path()).doesNotExist();

        Process terminated = holder(path());
        terminated.destroy(); // SIGTERM
        assertThat(terminated.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(path()).as("the exit hook deleted the file it made").doesNotExist();
    }

    /** A child JVM that holds a host's file until it is killed. */
    private static Process holder(Path file) throws Exception {
        List<String> cmd = new ArrayList<>(ChildJvmLauncher.command(file, List.of()));
        int main = cmd.indexOf(RemoteMain.class.getName());
        cmd.subList(main, cmd.size()).clear();
        cmd.add(HostHolderMain.class.getName());
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith("HOLDING")) {
            line = out.readLine();
        }
        assertThat(line).as("the holder started").isEqualTo("HOLDING " + file);
        return p;
    }

    @Test
    void aHostWatchesARemoteThatClaimedItsLayoutButRewroteItsEpoch() throws Exception {
        SimOptions options = SimOptions.defaults("x").withPath(path()).withLiveness(Duration.ofMillis(200));
        SimDriver host = SimDriver.host(options, null);
        try {
            AtomicReference<String> lost = new AtomicReference<>();
            CountDownLatch reported = new CountDownLatch(1);
            host.registerCallback(new RptunCallback() {
                @Override
                public void notified(int notifyId) {
                }

                @Override
                public void peerLost(String why) {
                    lost.set(why);
                    reported.countDown();
                }
            });
            host.start();
            SimHeader header = host.file().header();
            long epoch = header.tryClaimHostEpoch();
            assertThat(epoch).isPositive();
            header.setEpoch(SimHeader.Side.REMOTE, epoch + 1000); // before the watchdog's first look
            header.setPid(SimHeader.Side.REMOTE, ProcessHandle.current().pid());
            assertThat(reported.await(10, TimeUnit.SECONDS)).as("the peer was reported lost").isTrue();
            assertThat(lost.get()).contains("claimed this layout");
        } finally {
            host.close();
        }
    }

    @Test
    void openingRefusesASymbolicLinkEvenToARealSimulatorFile() throws Exception {
        Path real = dir.resolve("real");
        try (SimFile file = SimFile.create(real, SimOptions.DEFAULT_REGION_SIZE, true)) {
            Files.createSymbolicLink(path(), real);
            assertThatThrownBy(() -> SimFile.open(path(), SHORT))
                    .isInstanceOfSatisfying(SimException.class, e -> assertThat(e.reason())
                            .isEqualTo(Reason.NOT_A_REGULAR_FILE));
            assertThat(Files.isSymbolicLink(path())).isTrue();
            assertThat(file.isOpen()).isTrue();
        }
        assertThat(Files.exists(path(), LinkOption.NOFOLLOW_LINKS)).as("the dangling link is the test's").isTrue();
    }
}
