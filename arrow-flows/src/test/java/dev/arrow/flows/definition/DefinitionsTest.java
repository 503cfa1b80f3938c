package dev.arrow.flows.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.flows.dsl.DslReader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class DefinitionsTest {

    private static final Predicate<String> ARROWS = Set.of("payments", "refunds", "notify")::contains;
    private static final String DOCUMENT = """
            document:
              dsl: '1.0.0'
              namespace: shop
              name: orders
              version: '1.0.0'
            """;

    private static FlowDefinition read(String rest) throws DefinitionException {
        return DslReader.read(DOCUMENT + rest);
    }

    private static void valid(String rest) {
        assertThatCode(() -> Definitions.validate(read(rest), ARROWS)).doesNotThrowAnyException();
    }

    private static void invalid(String rest, String path, String... words) throws DefinitionException {
        invalid(read(rest), path, words);
    }

    private static void invalid(FlowDefinition definition, String path, String... words) {
        assertThatThrownBy(() -> Definitions.validate(definition, ARROWS))
                .isInstanceOfSatisfying(DefinitionException.class, e -> {
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.getMessage()).startsWith(path + ": ").contains(words);
                });
    }

    private static FlowDefinition flow(Step... steps) {
        return new FlowDefinition("shop", "orders", "1.0.0", new Step.Sequence(Task.named("do", "/do"), List.of(steps)),
                Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    @Test
    void aFlowUsingEveryKindPasses() {
        valid("""
                input:
                  from: ${ .order }
                output:
                  as: ${ .receipt }
                do:
                  - check:
                      if: ${ .total > 0 }
                      set:
                        total: ${ .total }
                  - route:
                      switch:
                        - free:
                            when: ${ .total == 0 }
                            then: done
                        - paid:
                            then: pay
                  - pay:
                      try:
                        - charge:
                            call: arrow
                            with:
                              name: payments
                              input: {amount: '${ .total }'}
                            output:
                              as: '${ {receipt: .} }'
                            export:
                              as: '${ $context + {charged: true} }'
                      catch:
                        as: failure
                        when: ${ $failure.status >= 500 }
                        exceptWhen: ${ $failure.status == 501 }
                        do:
                          - refund:
                              call: arrow
                              with: {name: refunds}
                              then: done
                  - each:
                      for:
                        in: ${ .items }
                      while: ${ . != null }
                      do:
                        - tell:
                            call: arrow
                            with: {name: notify}
                  - both:
                      fork:
                        branches:
                          - a: {wait: PT1S}
                          - b:
                              listen:
                                to:
                                  one:
                                    with: {type: com.shop.shipped}
                  - done:
                      set: ${ . }
                  - fail:
                      raise:
                        error:
                          type: https://shop.example/errors/x
                          status: 400
                          detail: ${ .why }
                """);
    }

    @Test
    void badJqIsNamedByItsTasksPath() throws DefinitionException {
        invalid("""
                do:
                  - a:
                      if: ${ .x == }
                      set: {x: 1}
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      set: {x: 1}
                      output:
                        as: {y: '${ .[ }'}
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      call: arrow
                      with:
                        name: payments
                        input: ${ .amount | }
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      set: '${ {x: } }'
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      raise:
                        error:
                          type: https://x/y
                          status: 400
                          detail: ${ "a" + }
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      switch:
                        - b:
                            when: ${ .x >>> 1 }
                            then: end
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      for:
                        in: ${ .items[ }
                      do:
                        - b: {set: {x: 1}}
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      for:
                        in: ${ .items }
                      while: ${ and }
                      do:
                        - b: {set: {x: 1}}
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      try:
                        - b: {set: {x: 1}}
                      catch:
                        when: ${ .status == }
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      try:
                        - b: {set: {x: 1}}
                      catch:
                        exceptWhen: ${ ) }
                """, "/do/0/a", "not valid jq");
        invalid("""
                do:
                  - a:
                      try:
                        - b:
                            set: {x: 1}
                            export:
                              as: ${ $context + }
                      catch:
                        do:
                          - c: {set: {y: 1}}
                """, "/do/0/a/try/0/b", "not valid jq");
        invalid("""
                input:
                  from: ${ .[ }
                do:
                  - a: {set: {x: 1}}
                """, "/input/from", "not valid jq");
    }

    @Test
    void waitExpressionsAreCompiled() {
        invalid(flow(new Step.Wait(Task.named("w", "/States/W"), new WaitFor.SecondsFrom(".delay |"))),
                "/States/W", "not valid jq");
        invalid(flow(new Step.Wait(Task.named("w", "/States/W"), new WaitFor.Until("[ .when"))),
                "/States/W", "not valid jq");
        assertThatCode(() -> Definitions.validate(flow(new Step.Wait(Task.named("w", "/States/W"),
                new WaitFor.SecondsFrom(".delay"))), ARROWS)).doesNotThrowAnyException();
    }

    @Test
    void aWaitOf31DaysIsRefused() {
        invalid(flow(new Step.Wait(Task.named("nap", "/do/0/nap"), new WaitFor.Fixed(Duration.ofDays(31)))),
                "/do/0/nap", "at most 30 days");
        assertThatCode(() -> Definitions.validate(flow(new Step.Wait(Task.named("nap", "/do/0/nap"),
                new WaitFor.Fixed(Duration.ofDays(30)))), ARROWS)).doesNotThrowAnyException();
    }

    @Test
    void aCalledArrowMustExist() throws DefinitionException {
        invalid("""
                do:
                  - a:
                      fork:
                        branches:
                          - b:
                              call: arrow
                              with: {name: shipping}
                """, "/do/0/a/fork/branches/0/b", "the arrow 'shipping' does not exist");
    }

    @Test
    void anUnknownThenTargetIsRefused() throws DefinitionException {
        invalid("""
                do:
                  - a:
                      set: {x: 1}
                      then: nowhere
                """, "/do/0/a", "then: 'nowhere'");
        invalid("""
                do:
                  - a:
                      switch:
                        - b:
                            when: .x
                            then: nowhere
                """, "/do/0/a", "then: 'nowhere'");
        invalid("""
                do:
                  - outer:
                      do:
                        - inner: {set: {x: 1}}
                  - next:
                      set: {x: 2}
                      then: inner
                """, "/do/1/next", "then: 'inner'");
    }

    @Test
    void twoTasksOfOneListMayNotShareAName() throws DefinitionException {
        invalid("""
                do:
                  - a: {set: {x: 1}}
                  - b:
                      do:
                        - a: {set: {x: 2}}
                        - a: {set: {x: 3}}
                """, "/do/1/b/do/1/a", "named 'a'");
    }

    @Test
    void aThenMayNameATaskOfAnEnclosingList() {
        valid("""
                do:
                  - first: {set: {x: 1}}
                  - outer:
                      do:
                        - inner:
                            set: {x: 2}
                            then: last
                  - skipped: {set: {x: 3}}
                  - last: {set: {x: 4}}
                """);
    }

    @Test
    void aGotoCycleIsRefused() throws DefinitionException {
        invalid("""
                do:
                  - a: {set: {x: 1}}
                  - b:
                      set: {x: 2}
                      then: a
                """, "/do/0/a", "loop", "a -> b -> a");
        invalid("""
                do:
                  - a:
                      set: {x: 1}
                      then: a
                """, "/do/0/a", "a -> a");
    }

    @Test
    void aCycleThroughANestedListIsRefused() throws DefinitionException {
        invalid("""
                do:
                  - a: {set: {x: 1}}
                  - b:
                      do:
                        - c:
                            set: {x: 2}
                            then: a
                """, "/do/0/a", "a -> b -> c -> a");
        invalid("""
                do:
                  - a: {set: {x: 1}}
                  - b:
                      try:
                        - c: {set: {x: 2}}
                      catch:
                        as: e
                      then: a
                """, "/do/0/a", "a -> b -> c -> a");
    }

    @Test
    void aSwitchOrARaiseBreaksACycle() {
        valid("""
                do:
                  - poll:
                      call: arrow
                      with: {name: payments}
                  - done:
                      switch:
                        - yes:
                            when: .done
                            then: end
                        - no:
                            then: poll
                """);
        valid("""
                do:
                  - again:
                      set: {x: 1}
                  - check:
                      switch:
                        - stop:
                            when: .x
                            then: exit
                  - loop:
                      set: {x: 2}
                      then: again
                """);
        valid("""
                do:
                  - a: {set: {x: 1}}
                  - b:
                      raise:
                        error: {type: https://x/y, status: 400}
                      then: a
                """);
    }

    @Test
    void aForOrAForkDoesNotLoopThroughItsBody() {
        valid("""
                do:
                  - each:
                      for:
                        in: ${ .items }
                      do:
                        - a: {set: {x: 1}}
                  - both:
                      fork:
                        branches:
                          - a: {set: {x: 1}}
                          - b: {set: {x: 2}}
                """);
    }
}
