package io.kddm.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.apache.felix.gogo.runtime.SyntaxError;
import org.junit.jupiter.api.Test;

/** {@code --exec} runs a script statement by statement, cut where Gogo itself would cut it. */
class StatementsTest {

    @Test
    void splitsAtTopLevelSeparatorsOnly() {
        assertEquals(List.of("kddm:nodes", "echo 'a;b'", "each [1 2] { echo $it; echo x }", "echo \"q\\\";\""),
                NodeLauncher.statements("kddm:nodes; echo 'a;b'\n each [1 2] { echo $it; echo x };;echo \"q\\\";\""));
    }

    @Test
    void emptyScriptHasNoStatements() {
        assertEquals(List.of(), NodeLauncher.statements(" ; \n "));
    }

    @Test
    void aSyntaxErrorIsFoundBeforeAnythingRuns() {
        assertThrows(SyntaxError.class, () -> NodeLauncher.statements("kddm:nodes; echo 'unclosed"));
    }
}
