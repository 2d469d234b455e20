package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code ./rptun} launcher itself: it selects a JDK 25 and runs the command line. The build step is
 * skipped here (a build inside the build would race it): the test writes the class path file the script
 * would have made, newer than every source, so the script goes straight to {@code java}.
 */
@Timeout(120)
class LauncherScriptTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private record Result(int code, String out) {
    }

    /** The class path written here points into this test run: remove it, so the next ./rptun builds its own. */
    @org.junit.jupiter.api.AfterAll
    static void forgetTheTestClassPath() throws Exception {
        Files.deleteIfExists(ROOT.resolve("examples/target/rptun.classpath"));
    }

    private static Result script(String... args) throws Exception {
        Path cpFile = ROOT.resolve("examples/target/rptun.classpath");
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.endsWith(File.separator + "classes")
                        || e.contains("rptun-core") || e.contains("rptun-sim") || e.contains("rptun-reactive"))
                .filter(e -> !e.contains("examples" + File.separator + "target"))
                .collect(Collectors.joining(File.pathSeparator));
        Files.writeString(cpFile, cp);
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", ROOT.resolve("rptun").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.print(out);
        return new Result(p.exitValue(), out);
    }

    @Test
    void theLauncherRunsTheCommandLineWithAJdk25() throws Exception {
        Result help = script("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: rptun").doesNotContain("building");
    }

    @Test
    void theLauncherPassesOnTheExitCodeOfABadInput() throws Exception {
        Result r = script("dump", "/dev/shm/rptun-no-such-file-" + UUID.randomUUID());
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out().lines().filter(l -> l.startsWith("rptun dump:")).count()).isEqualTo(1);
        assertThat(r.out()).doesNotContain("\tat ");
    }
}
