package io.rptun.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            packages = files.filter(p -> p.toString().endsWith(".class"))
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

    private static Package loadPackageInfo(String name) {
        try {
            return Class.forName(name + ".package-info").getPackage();
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
