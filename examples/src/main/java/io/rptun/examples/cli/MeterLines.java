package io.rptun.examples.cli;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** Micrometer meters as text lines, {@code name{tag=value,...} value unit}, for the commands that print statistics. */
final class MeterLines {
    private MeterLines() {
    }

    /**
     * One line per meter, sorted by name and tags; a drop counter that is zero is left out (there is one per
     * reason), every other meter is printed whatever its value.
     */
    static List<String> of(MeterRegistry registry) {
        return registry.getMeters().stream()
                .sorted(Comparator.comparing((Meter m) -> m.getId().getName()).thenComparing(m -> tags(m)))
                .filter(m -> !(m.getId().getName().endsWith(".dropped") && value(m) == 0))
                .map(m -> m.getId().getName() + "{" + tags(m) + "} " + format(value(m))
                        + (m.getId().getBaseUnit() == null ? "" : " " + m.getId().getBaseUnit()))
                .toList();
    }

    private static String tags(Meter m) {
        return m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue()).collect(Collectors.joining(","));
    }

    private static double value(Meter m) {
        for (Measurement measurement : m.measure()) {
            return measurement.getValue();
        }
        return Double.NaN;
    }

    private static String format(double v) {
        return v == Math.rint(v) && !Double.isInfinite(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
