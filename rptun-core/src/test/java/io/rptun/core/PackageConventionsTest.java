package io.rptun.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/** Every package of the library is {@code @NullMarked}, so Kotlin and tools see its nullness. */
class PackageConventionsTest {

    @Test
    void everyMainPackageIsNullMarked() throws IOException, URISyntaxException {
        Path classes = Path.of(RptunException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> packages;
        try (Stream<Path> files = Files.walk(classes)) {
            packages = files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("module-info.class"))
                    .map(p -> classes.relativize(p.getParent()).toString().replace('/', '.'))
                    .distinct()
                    .sorted()
                    .toList();
        }
        assertThat(packages).contains("io.rptun.core", "io.rptun.core.rsc", "io.rptun.core.memory");
        for (String name : packages) {
            Package pkg = loadPackageInfo(name);
            assertThat(pkg != null && pkg.isAnnotationPresent(NullMarked.class))
                    .as("package %s has a @NullMarked package-info", name).isTrue();
        }
    }

    /**
     * No {@code sun.misc.Unsafe}, directly or through JCTools: only JCTools' {@code varhandle} queues,
     * since its plain {@code org.jctools.queues} classes use Unsafe, which JDK 25 warns about at run time.
     */
    @Test
    void mainCodeUsesNoUnsafeAndOnlyTheVarHandleJctoolsQueues() throws IOException {
        Pattern forbidden = Pattern.compile("import\\s+(sun\\.misc\\.|org\\.jctools\\.util\\.Unsafe"
                + "|org\\.jctools\\.queues\\.(?!varhandle\\.|MessagePassingQueue;)[A-Za-z])");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> {
                        try {
                            return forbidden.matcher(Files.readString(p)).find();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString)
                    .toList();
        }
        assertThat(offenders).isEmpty();
    }

    private static Package loadPackageInfo(String name) {
        try {
            return Class.forName(name + ".package-info").getPackage();
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
