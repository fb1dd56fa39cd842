package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.kddm.impl.core.Wire.Kind;

/**
 * {@link StateTable} stays true: every handler it names exists, every state it
 * names is one of the vocabulary, every message kind has a route and a row,
 * every row is covered by a test, and {@code docs/PROTOCOL.md} is the table
 * (run with {@code -Dkddm.protocol.write=true} to write it anew).
 */
class StateTableTest {
    private static final Path DOC = Path.of("..", "docs", "PROTOCOL.md");
    private static final Pattern NAME = Pattern.compile("\\b[A-Z][A-Z0-9_]{2,}\\b");

    @Test
    void everyHandlerExists() throws ClassNotFoundException {
        for (StateTable row : StateTable.values()) {
            String[] parts = row.handler.split("#");
            assertEquals(2, parts.length, row + ": handler must be Class#method, not " + row.handler);
            Class<?> type = handlerClass(parts[0]);
            boolean found = Arrays.stream(type.getDeclaredMethods()).anyMatch(m -> m.getName().equals(parts[1]));
            assertTrue(found, row + ": " + row.handler + " does not exist");
        }
    }

    private static Class<?> handlerClass(String simpleName) throws ClassNotFoundException {
        for (String pkg : List.of("io.kddm.impl.core.")) {
            try {
                return Class.forName(pkg + simpleName);
            } catch (ClassNotFoundException next) {
                // try the next package
            }
        }
        throw new ClassNotFoundException(simpleName);
    }

    /** Capitalised names in the table are states, message kinds or rows: a typo or a renamed state fails here. */
    @Test
    void everyNameInTheTableIsOfTheVocabulary() {
        Set<String> known = new TreeSet<>();
        Stream.of(ObjectState.values()).forEach(s -> known.add(s.name()));
        Stream.of(HomeState.values()).forEach(s -> known.add(s.name()));
        Stream.of(Kind.values()).forEach(k -> known.add(k.name()));
        Stream.of(StateTable.values()).forEach(r -> known.add(r.name()));
        for (ObjectState s : ObjectState.values()) {
            Matcher m = NAME.matcher(s.meaning());
            while (m.find()) {
                assertTrue(known.contains(m.group()), s + "'s meaning names " + m.group());
            }
        }
        for (StateTable row : StateTable.values()) {
            for (String text : List.of(row.state, row.event, row.action, row.next)) {
                Matcher m = NAME.matcher(text);
                while (m.find()) {
                    assertTrue(known.contains(m.group()), row + " names " + m.group() + ", which is no state, "
                            + "message kind or row");
                }
            }
        }
        for (StateTable row : StateTable.values()) {
            if (row.role.equals("object") || row.role.equals("home")) {
                assertTrue(NAME.matcher(row.state).find() || row.state.startsWith("any")
                        || row.state.startsWith("not ") || row.state.startsWith("("), row + " names no state");
            }
        }
    }

    /** Every kind is routed (Dispatch.route is exhaustive), and every kind sent has a row that says what it does. */
    @Test
    void everyMessageKindHasARouteAndARow() {
        for (Kind k : Kind.values()) {
            Dispatch.Route route = Dispatch.route(k);
            assertNotNull(route, k.name());
            if (route == Dispatch.Route.HOME || route == Dispatch.Route.OBJECT || route == Dispatch.Route.QUESTION) {
                Pattern word = Pattern.compile("\\b" + k.name() + "\\b");
                boolean inARow = Arrays.stream(StateTable.values()).anyMatch(r -> word.matcher(r.event).find());
                assertTrue(inARow, k + " is routed to " + route + " but no row has it as its event");
            }
        }
    }

    @Test
    void everyRowIsCoveredByATest() throws IOException, URISyntaxException, ClassNotFoundException {
        EnumSet<StateTable> covered = EnumSet.noneOf(StateTable.class);
        Path classes = Path.of(StateTableTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).toList();
        }
        for (Path f : files) {
            String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
            for (Method m : Class.forName(name, false, getClass().getClassLoader()).getDeclaredMethods()) {
                Covers c = m.getAnnotation(Covers.class);
                if (c != null && (m.isAnnotationPresent(org.junit.jupiter.api.Test.class)
                        || m.isAnnotationPresent(org.junit.jupiter.api.RepeatedTest.class))) { // a test, not a helper
                    covered.addAll(List.of(c.value()));
                }
            }
        }
        EnumSet<StateTable> missing = EnumSet.complementOf(covered);
        assertTrue(missing.isEmpty(), "rows no test covers: " + missing);
    }

    @Test
    void theProtocolDocumentIsTheTable() throws IOException {
        String table = render();
        if (Boolean.getBoolean("kddm.protocol.write")) {
            Files.writeString(DOC, table);
        }
        assertTrue(Files.exists(DOC), DOC.toAbsolutePath() + " is missing: run this test with -Dkddm.protocol.write=true");
        assertEquals(table, Files.readString(DOC, StandardCharsets.UTF_8), DOC.toAbsolutePath()
                + " is not the table of StateTable: run this test with -Dkddm.protocol.write=true and commit it");
    }

    private static String render() {
        StringBuilder b = new StringBuilder();
        b.append("# The kDDM coherence protocol\n\n")
                .append("Generated from `kddm.impl/src/main/java/io/kddm/impl/core/StateTable.java` by `StateTableTest` ")
                .append("(`mvn -pl kddm.impl test -Dtest=StateTableTest -Dkddm.protocol.write=true`); do not edit.\n\n")
                .append("## States\n\nOn a node that holds or wants the object (`ObjectState`; Kerrighed's names, ")
                .append("and ours where it had none):\n\n| state | | meaning |\n|---|---|---|\n");
        for (ObjectState s : ObjectState.values()) {
            b.append("| ").append(s.name()).append(" | ").append(s.kerrighed() ? "Kerrighed" : "ours")
                    .append(s.stable() ? "" : ", waiting").append(" | ").append(cell(s.meaning())).append(" |\n");
        }
        b.append("\nAt the object's home (`HomeState`; Kerrighed's manager named none, these are ours):\n\n")
                .append("| state | meaning |\n|---|---|\n");
        for (HomeState s : HomeState.values()) {
            b.append("| ").append(s.name()).append(" | ").append(cell(s.meaning())).append(" |\n");
        }
        b.append("\nThe code names these states in one place (`ObjectEntry.name()`, `ManagerEntry.name()`); ")
                .append("`kddm:objects`, the logs and the tests use the same names.\n");
        String role = null;
        for (StateTable r : StateTable.values()) {
            if (!r.role.equals(role)) {
                role = r.role;
                b.append("\n## ").append(switch (role) {
                    case "object" -> "Object side";
                    case "home" -> "Home side";
                    case "local" -> "Local operations";
                    case "budget" -> "Over the memory budget";
                    case "failure" -> "Failures: a node leaves, dies or restarts";
                    case "store" -> "Replicated stores (disk-backed families stored on several nodes)";
                    default -> role;
                }).append("\n\n| row | state | event | action | next | runs in |\n|---|---|---|---|---|---|\n");
            }
            b.append("| ").append(r.name()).append(" | ").append(cell(r.state)).append(" | ").append(cell(r.event))
                    .append(" | ").append(cell(r.action)).append(" | ").append(cell(r.next)).append(" | `")
                    .append(r.handler).append("` |\n");
        }
        return b.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

}
