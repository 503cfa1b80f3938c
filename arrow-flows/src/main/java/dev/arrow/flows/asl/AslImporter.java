package dev.arrow.flows.asl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Task;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports an Amazon States Language state machine (JSON) into Arrow's model, as the flow {@code name}.
 *
 * <p>A state machine's states become a sequence, its StartAt state first, each step going to its
 * {@code Next} (a {@code GoTo}) or ending. A state's data flow (InputPath, Parameters,
 * ResultSelector, ResultPath, OutputPath) becomes jq: the input templates read the state's raw
 * input, and the step's {@code outputAs} reads the raw result with {@code $input} the raw input.
 * Retriers and catchers become {@code try} steps around the state. Anything outside that subset
 * is refused with its path ({@code /States/Ship/Resource}).
 */
public final class AslImporter {

    /** A Map's MaxConcurrency of 0 means no limit in Step Functions; Arrow bounds it. */
    static final int UNLIMITED_CONCURRENCY = 40;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Pattern LAMBDA_ARN = Pattern.compile(
            "arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9$_-]+)?");
    private static final String LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";

    private static final Set<String> TOP = Set.of("StartAt", "States", "TimeoutSeconds", "Comment", "Version",
            "QueryLanguage");
    private static final Set<String> MACHINE = Set.of("StartAt", "States", "Comment", "ProcessorConfig");
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "Task", Set.of("Resource", "Parameters", "InputPath", "OutputPath", "ResultPath", "ResultSelector",
                    "TimeoutSeconds", "Retry", "Catch", "Next", "End"),
            "Pass", Set.of("Result", "Parameters", "ResultPath", "InputPath", "OutputPath", "Next", "End"),
            "Choice", Set.of("Choices", "Default", "InputPath", "OutputPath"),
            "Wait", Set.of("Seconds", "Timestamp", "SecondsPath", "TimestampPath", "InputPath", "OutputPath", "Next", "End"),
            "Succeed", Set.of("InputPath", "OutputPath"),
            "Fail", Set.of("Error", "Cause", "ErrorPath", "CausePath"),
            "Parallel", Set.of("Branches", "Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath",
                    "Retry", "Catch", "Next", "End"),
            "Map", Set.of("ItemsPath", "ItemProcessor", "Iterator", "ItemSelector", "Parameters", "MaxConcurrency",
                    "ResultSelector", "ResultPath", "InputPath", "OutputPath", "Retry", "Catch", "Next", "End"));

    private AslImporter() {
    }

    public static FlowDefinition read(String name, String source) throws DefinitionException {
        JsonNode root;
        try {
            root = JSON.readTree(source);
        } catch (JsonProcessingException e) {
            throw new DefinitionException("/", "the state machine is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DefinitionException("/", "a state machine is a JSON object");
        }
        fields(root, "", TOP);
        queryLanguage(root, "");
        Optional<Duration> timeout = Optional.empty();
        if (root.has("TimeoutSeconds")) {
            timeout = Optional.of(Duration.ofSeconds(Errors.whole(root, "TimeoutSeconds", 0, 1, "")));
        }
        Step.Sequence body = machine(root, "", "", name, Scope.root());
        return new FlowDefinition("default", name, "1", body, Optional.empty(), Optional.empty(), timeout, List.of());
    }

    /**
     * A state machine (the top level, a branch, a Map's processor) at {@code path} in the document,
     * as a sequence at {@code model} in the model: the two differ under a state with retriers or
     * catchers, whose own step sits inside the tries.
     */
    private static Step.Sequence machine(JsonNode node, String path, String model, String name, Scope scope)
            throws DefinitionException {
        JsonNode startAt = node.get("StartAt");
        if (startAt == null || !startAt.isTextual()) {
            throw new DefinitionException(path + "/StartAt", "StartAt, the name of the first state, is required");
        }
        JsonNode states = node.get("States");
        if (states == null || !states.isObject() || states.isEmpty()) {
            throw new DefinitionException(path + "/States", "States, an object of at least one state, is required");
        }
        Set<String> names = new LinkedHashSet<>();
        states.fieldNames().forEachRemaining(names::add);
        if (!names.contains(startAt.textValue())) {
            throw new DefinitionException(path + "/StartAt", "no state is named '" + startAt.textValue() + "'");
        }
        List<String> order = new ArrayList<>();
        order.add(startAt.textValue());
        names.stream().filter(state -> !state.equals(startAt.textValue())).forEach(order::add);
        Machine machine = new Machine(path, model, names, scope);
        List<Step> steps = new ArrayList<>();
        for (String state : order) {
            steps.add(machine.state(state, states.get(state)));
        }
        steps.addAll(machine.extra);
        return new Step.Sequence(Task.named(name, model), steps);
    }

    private static void fields(JsonNode node, String path, Set<String> allowed) throws DefinitionException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (!allowed.contains(field)) {
                throw new DefinitionException(path + "/" + JsonPaths.token(field), "the field " + field
                        + " is not supported here");
            }
        }
    }

    private static void queryLanguage(JsonNode node, String path) throws DefinitionException {
        JsonNode language = node.get("QueryLanguage");
        if (language != null && !(language.isTextual() && language.textValue().equals("JSONPath"))) {
            throw new DefinitionException(path + "/QueryLanguage", "the field QueryLanguage: only JSONPath is"
                    + " supported (JSONata is not)");
        }
    }

    /**
     * The states of one machine: their names (for Next) and the steps added besides the states.
     * A state's step is at {@code /States/Name} under the machine's model path; with retriers or
     * catchers, the tries are there and the state's own step is inside them, one {@code /try} per
     * try, as the DSL's try paths read (the executor's step paths are built from these).
     */
    private static final class Machine {
        private final String path;
        private final String model;
        private final Set<String> names;
        private final Scope scope;
        private final List<Step> extra = new ArrayList<>();
        /** The state being read: its model path, and its own step's (inside its tries). */
        private String stepPath;
        private String own;

        Machine(String path, String model, Set<String> names, Scope scope) {
            this.path = path;
            this.model = model;
            this.names = names;
            this.scope = scope;
        }

        Step state(String name, JsonNode state) throws DefinitionException {
            String s = path + "/States/" + JsonPaths.token(name);
            if (!state.isObject()) {
                throw new DefinitionException(s, "a state is an object");
            }
            JsonNode type = state.get("Type");
            if (type == null || !type.isTextual()) {
                throw new DefinitionException(s + "/Type", "Type is required");
            }
            queryLanguage(state, s);
            Set<String> allowed = FIELDS.get(type.textValue());
            if (allowed == null) {
                throw new DefinitionException(s + "/Type", "the state type '" + type.textValue() + "' is not supported");
            }
            Set<String> all = new LinkedHashSet<>(allowed);
            all.addAll(Set.of("Type", "Comment", "QueryLanguage"));
            fields(state, s, all);
            stepPath = model + "/States/" + JsonPaths.token(name);
            own = stepPath + "/try".repeat(array(state, "Retry", s).size() + array(state, "Catch", s).size());
            return switch (type.textValue()) {
                case "Task" -> task(name, state, s);
                case "Pass" -> pass(name, state, s);
                case "Choice" -> choice(name, state, s);
                case "Wait" -> waitState(name, state, s);
                case "Succeed" -> succeed(name, state, s);
                case "Fail" -> fail(name, state, s);
                case "Parallel" -> parallel(name, state, s);
                default -> map(name, state, s);
            };
        }

        private Step task(String name, JsonNode state, String s) throws DefinitionException {
            String resource = text(state, "Resource", s);
            String base = inputPath(state, s);
            JsonNode parameters = state.get("Parameters");
            String arrow;
            Optional<JsonNode> input;
            String result = ".";
            Matcher lambda = LAMBDA_ARN.matcher(resource);
            if (resource.startsWith("arrow:") && resource.length() > "arrow:".length()) {
                arrow = resource.substring("arrow:".length());
                input = input(parameters, s, base);
            } else if (lambda.matches()) {
                arrow = lambda.group(1);
                input = input(parameters, s, base);
            } else if (resource.equals(LAMBDA_INVOKE)) {
                if (parameters == null || !parameters.isObject()) {
                    throw new DefinitionException(s + "/Parameters", "lambda:invoke needs Parameters with a FunctionName");
                }
                fields(parameters, s + "/Parameters", Set.of("FunctionName", "Payload", "Payload.$", "Qualifier"));
                arrow = functionName(parameters.get("FunctionName"), s + "/Parameters/FunctionName");
                if (parameters.has("Payload") && parameters.has("Payload.$")) {
                    throw new DefinitionException(s + "/Parameters/Payload", "give Payload or Payload.$, not both");
                }
                if (parameters.has("Payload")) {
                    input = Optional.of(Payloads.template(parameters.get("Payload"), s + "/Parameters/Payload", scope, base));
                } else if (parameters.has("Payload.$")) {
                    input = Optional.of(expression(Payloads.value(parameters.get("Payload.$"),
                            s + "/Parameters/Payload.$", scope, base)));
                } else {
                    input = base.equals(".") ? Optional.empty() : Optional.of(expression(base));
                }
                // The optimised integration answers with the invocation's envelope, the function's answer in Payload.
                result = "{\"Payload\": ., \"StatusCode\": 200}";
            } else {
                throw new DefinitionException(s + "/Resource", "the Resource '" + resource + "' is not supported:"
                        + " use arrow:NAME, a Lambda function's ARN, or " + LAMBDA_INVOKE + " with a FunctionName");
            }
            Task core = Task.named(name, own).withThen(coreThen(state, s));
            if (state.has("TimeoutSeconds")) {
                core = core.withTimeout(Duration.ofSeconds(Errors.whole(state, "TimeoutSeconds", 0, 1, s)));
            }
            core = withOutput(core, output(state, s, result));
            return wrap(name, new Step.Call(core, arrow, input), state, s);
        }

        private String functionName(JsonNode value, String where) throws DefinitionException {
            if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
                throw new DefinitionException(where, "FunctionName is required, a function's name or ARN");
            }
            Matcher arn = LAMBDA_ARN.matcher(value.textValue());
            if (arn.matches()) {
                return arn.group(1);
            }
            String text = value.textValue();
            if (text.startsWith("arn:")) {
                throw new DefinitionException(where, "'" + text + "' is not a Lambda function's ARN");
            }
            int colon = text.indexOf(':');
            return colon < 0 ? text : text.substring(0, colon);
        }

        /** InputPath then Parameters, as a template on the raw input; absent when it is the raw input itself. */
        private Optional<JsonNode> input(JsonNode parameters, String s, String base) throws DefinitionException {
            if (parameters != null) {
                return Optional.of(Payloads.template(parameters, s + "/Parameters", scope, base));
            }
            return base.equals(".") ? Optional.empty() : Optional.of(expression(base));
        }

        private Step pass(String name, JsonNode state, String s) throws DefinitionException {
            String base = inputPath(state, s);
            JsonNode value;
            if (state.has("Result")) {
                value = Payloads.literal(state.get("Result"));
            } else if (state.has("Parameters")) {
                value = Payloads.template(state.get("Parameters"), s + "/Parameters", scope, base);
            } else {
                value = expression(base);
            }
            Task task = withOutput(Task.named(name, stepPath).withThen(then(state, s)), output(state, s, "."));
            return new Step.Set(task, value);
        }

        private Step choice(String name, JsonNode state, String s) throws DefinitionException {
            JsonNode choices = state.get("Choices");
            if (choices == null || !choices.isArray() || choices.isEmpty()) {
                throw new DefinitionException(s + "/Choices", "Choices, a non-empty array of rules, is required");
            }
            List<Step.Switch.Case> cases = new ArrayList<>();
            for (int i = 0; i < choices.size(); i++) {
                String at = s + "/Choices/" + i;
                String when = Choices.condition(choices.get(i), at, scope, true);
                cases.add(new Step.Switch.Case("Choices/" + i, Optional.of(when), new Then.GoTo(next(choices.get(i), at))));
            }
            if (state.has("Default")) {
                cases.add(new Step.Switch.Case("Default", Optional.empty(), new Then.GoTo(target(state.get("Default"),
                        s + "/Default"))));
            } else {
                // Step Functions fails the run with States.NoChoiceMatched: the default goes to a step raising it.
                String raise = name + ".NoChoiceMatched";
                while (names.contains(raise)) {
                    raise = raise + "_";
                }
                ObjectNode error = JsonNodeFactory.instance.objectNode();
                error.put("type", "States.NoChoiceMatched");
                error.put("status", 500);
                error.put("title", "States.NoChoiceMatched");
                error.set("detail", Payloads.literal(TextNode.valueOf("no choice rule of the state '" + name + "' matched")));
                extra.add(new Step.Raise(Task.named(raise, stepPath + "/Default"), error));
                cases.add(new Step.Switch.Case("Default", Optional.empty(), new Then.GoTo(raise)));
            }
            Task task = Task.named(name, stepPath);
            String base = inputPath(state, s);
            if (!base.equals(".")) {
                task = task.withInputFrom(expression(base));
            }
            task = withOutput(task, outputPath(state, s, List.of()));
            return new Step.Switch(task, cases);
        }

        private Step waitState(String name, JsonNode state, String s) throws DefinitionException {
            List<String> given = new ArrayList<>();
            for (String field : List.of("Seconds", "Timestamp", "SecondsPath", "TimestampPath")) {
                if (state.has(field)) {
                    given.add(field);
                }
            }
            if (given.size() != 1) {
                throw new DefinitionException(s, "a Wait state has exactly one of Seconds, Timestamp, SecondsPath,"
                        + " TimestampPath; this one has " + given);
            }
            String field = given.getFirst();
            String at = s + "/" + field;
            WaitFor waitFor = switch (field) {
                case "Seconds" -> new WaitFor.Fixed(Duration.ofSeconds(Errors.whole(state, "Seconds", 0, 0, s)));
                case "Timestamp" -> {
                    String timestamp = text(state, field, s);
                    try {
                        OffsetDateTime.parse(timestamp);
                    } catch (DateTimeParseException e) {
                        throw new DefinitionException(at, "'" + timestamp + "' is not an ISO 8601 timestamp");
                    }
                    yield new WaitFor.Until(JsonPaths.string(timestamp));
                }
                case "SecondsPath" -> new WaitFor.SecondsFrom(JsonPaths.jq(text(state, field, s), at, scope));
                default -> new WaitFor.Until(JsonPaths.jq(text(state, field, s), at, scope));
            };
            Task task = Task.named(name, stepPath).withThen(then(state, s));
            String base = inputPath(state, s);
            if (!base.equals(".")) {
                task = task.withInputFrom(expression(base));
            }
            task = withOutput(task, outputPath(state, s, List.of()));
            return new Step.Wait(task, waitFor);
        }

        private Step succeed(String name, JsonNode state, String s) throws DefinitionException {
            Task task = Task.named(name, stepPath).withThen(end());
            task = withOutput(task, outputPath(state, s, List.of()));
            return new Step.Set(task, expression(inputPath(state, s)));
        }

        private Step fail(String name, JsonNode state, String s) throws DefinitionException {
            JsonNode error = pathOrValue(state, "Error", s);
            JsonNode cause = pathOrValue(state, "Cause", s);
            ObjectNode raised = JsonNodeFactory.instance.objectNode();
            raised.set("type", error == null ? TextNode.valueOf("States.Fail") : error);
            raised.set("status", IntNode.valueOf(500));
            raised.set("title", error == null ? TextNode.valueOf("States.Fail") : error);
            if (cause != null) {
                raised.set("detail", cause);
            }
            return new Step.Raise(Task.named(name, stepPath), raised);
        }

        private JsonNode pathOrValue(JsonNode state, String field, String s) throws DefinitionException {
            if (state.has(field) && state.has(field + "Path")) {
                throw new DefinitionException(s + "/" + field + "Path", "give " + field + " or " + field + "Path, not both");
            }
            if (state.has(field)) {
                return Payloads.literal(TextNode.valueOf(text(state, field, s)));
            }
            if (state.has(field + "Path")) {
                String at = s + "/" + field + "Path";
                return expression(JsonPaths.jq(text(state, field + "Path", s), at, scope));
            }
            return null;
        }

        private Step parallel(String name, JsonNode state, String s) throws DefinitionException {
            JsonNode branches = state.get("Branches");
            if (branches == null || !branches.isArray() || branches.isEmpty()) {
                throw new DefinitionException(s + "/Branches", "Branches, a non-empty array of state machines, is required");
            }
            String base = inputPath(state, s);
            Optional<JsonNode> input = input(state.get("Parameters"), s, base);
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < branches.size(); i++) {
                String where = s + "/Branches/" + i;
                JsonNode branch = branches.get(i);
                if (!branch.isObject()) {
                    throw new DefinitionException(where, "a branch is a state machine, an object");
                }
                fields(branch, where, MACHINE);
                if (branch.has("ProcessorConfig")) {
                    throw new DefinitionException(where + "/ProcessorConfig", "the field ProcessorConfig is not supported here");
                }
                Step.Sequence sequence = machine(branch, where, own + "/Branches/" + i, "Branches/" + i, scope.branch());
                if (input.isPresent()) {
                    sequence = new Step.Sequence(sequence.task().withInputFrom(input.get()), sequence.steps());
                }
                steps.add(sequence);
            }
            Task task = withOutput(Task.named(name, own).withThen(coreThen(state, s)), output(state, s, "."));
            return wrap(name, new Step.Fork(task, steps, false), state, s);
        }

        private Step map(String name, JsonNode state, String s) throws DefinitionException {
            if (state.has("ItemProcessor") == state.has("Iterator")) {
                throw new DefinitionException(s + "/ItemProcessor", "a Map state has ItemProcessor (or Iterator), not both");
            }
            String field = state.has("ItemProcessor") ? "ItemProcessor" : "Iterator";
            String where = s + "/" + field;
            JsonNode processor = state.get(field);
            if (!processor.isObject()) {
                throw new DefinitionException(where, field + " is a state machine, an object");
            }
            fields(processor, where, MACHINE);
            JsonNode config = processor.get("ProcessorConfig");
            if (config != null) {
                fields(config, where + "/ProcessorConfig", Set.of("Mode"));
                JsonNode mode = config.get("Mode");
                if (mode != null && !(mode.isTextual() && mode.textValue().equals("INLINE"))) {
                    throw new DefinitionException(where + "/ProcessorConfig/Mode", "the field Mode: only INLINE Maps are"
                            + " supported (a distributed Map is not)");
                }
            }
            if (state.has("ItemSelector") && state.has("Parameters")) {
                throw new DefinitionException(s + "/Parameters", "give ItemSelector or Parameters, not both");
            }
            String base = inputPath(state, s);
            String items = JsonPaths.jq(state.has("ItemsPath") ? text(state, "ItemsPath", s) : "$", s + "/ItemsPath",
                    scope, base);
            Scope inner = scope.map();
            JsonNode selector = state.has("ItemSelector") ? state.get("ItemSelector") : state.get("Parameters");
            String selectorField = state.has("ItemSelector") ? "ItemSelector" : "Parameters";
            JsonNode itemInput = selector == null ? expression("$" + inner.each().get())
                    : Payloads.template(selector, s + "/" + selectorField, inner, base);
            // A for body runs on the for's input: the processor, one step inside it, takes the item (or the
            // ItemSelector's value) as its input, so that its first state sees what Step Functions gives it.
            String processorPath = own + "/" + field;
            Step.Sequence processorSteps = machine(processor, where, processorPath, field, inner);
            Step.Sequence body = new Step.Sequence(Task.named(field, processorPath), List.of(
                    new Step.Sequence(processorSteps.task().withInputFrom(itemInput), processorSteps.steps())));
            long concurrency = Errors.whole(state, "MaxConcurrency", 0, 0, s);
            int max = concurrency == 0 ? UNLIMITED_CONCURRENCY : (int) Math.min(concurrency, Integer.MAX_VALUE);
            Task task = withOutput(Task.named(name, own).withThen(coreThen(state, s)), output(state, s, "."));
            Step.ForEach each = new Step.ForEach(task, inner.each().get(), inner.at().get(), items, Optional.empty(),
                    body, Optional.of(max));
            return wrap(name, each, state, s);
        }

        /**
         * Retriers and catchers around {@code core}: each retrier an inner try (the first innermost)
         * that retries the errors it takes and, once its attempts are spent, raises the error again;
         * a retrier leaves the errors an earlier one takes to that one, as Step Functions applies the
         * first matching retrier only. Each catcher an outer try (the first innermost) whose body puts
         * the error object at its ResultPath and goes to its Next. The outermost try bears the state's
         * name and its Next.
         */
        private Step wrap(String name, Step core, JsonNode state, String s) throws DefinitionException {
            JsonNode retriers = array(state, "Retry", s);
            JsonNode catchers = array(state, "Catch", s);
            int layers = retriers.size() + catchers.size();
            int layer = 0;
            Step inner = core;
            List<String> earlier = new ArrayList<>();
            for (int i = 0; i < retriers.size(); i++) {
                String where = s + "/Retry/" + i;
                String tryPath = stepPath + "/try".repeat(layers - ++layer);
                JsonNode retrier = retriers.get(i);
                if (!retrier.isObject()) {
                    throw new DefinitionException(where, "a retrier is an object");
                }
                fields(retrier, where, Set.of("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                        "MaxDelaySeconds", "JitterStrategy", "Comment"));
                Errors.Matcher matcher = Errors.matcher(retrier.get("ErrorEquals"), where + "/ErrorEquals");
                List<String> except = new ArrayList<>();
                matcher.exceptWhen().ifPresent(except::add);
                except.addAll(earlier);
                earlier.add(matcher.matches());
                Step.Raise again = new Step.Raise(Task.named(name, tryPath + "/catch/raise"),
                        TextNode.valueOf("${ $" + Errors.AS + " }"));
                Step.Catch handler = new Step.Catch(matcher.filter(), Errors.AS, Optional.empty(),
                        except.isEmpty() ? Optional.empty() : Optional.of(String.join(" or ", except)),
                        Optional.of(Errors.policy(retrier, where)),
                        Optional.of(new Step.Sequence(Task.named(name, tryPath + "/catch"), List.of(again))));
                inner = tryStep(name, tryPath, inner, handler, layer == layers, state, s);
            }
            for (int i = 0; i < catchers.size(); i++) {
                String where = s + "/Catch/" + i;
                String tryPath = stepPath + "/try".repeat(layers - ++layer);
                JsonNode catcher = catchers.get(i);
                if (!catcher.isObject()) {
                    throw new DefinitionException(where, "a catcher is an object");
                }
                fields(catcher, where, Set.of("ErrorEquals", "Next", "ResultPath", "Comment"));
                Errors.Matcher matcher = Errors.matcher(catcher.get("ErrorEquals"), where + "/ErrorEquals");
                String next = next(catcher, where);
                String merge = resultPath(catcher, where);
                // The catch body's input is the state's raw input: the error object is merged into it.
                String value = merge.isEmpty() ? "${ " + Errors.errorObject() + " }"
                        : "${ . as $raw | " + Errors.errorObject() + " | " + merge.replace("$input", "$raw") + " }";
                Step.Set put = new Step.Set(Task.named(name, tryPath + "/catch/ResultPath"), TextNode.valueOf(value));
                Step.Catch handler = new Step.Catch(matcher.filter(), Errors.AS, Optional.empty(), matcher.exceptWhen(),
                        Optional.empty(), Optional.of(new Step.Sequence(Task.named(name, tryPath + "/catch")
                                .withThen(new Then.GoTo(next)), List.of(put))));
                inner = tryStep(name, tryPath, inner, handler, layer == layers, state, s);
            }
            return inner;
        }

        private Step tryStep(String name, String tryPath, Step body, Step.Catch handler, boolean outermost, JsonNode state,
                String s) throws DefinitionException {
            Task task = Task.named(name, tryPath);
            if (outermost) {
                task = task.withThen(then(state, s));
            }
            return new Step.Try(task, new Step.Sequence(Task.named(name, tryPath), List.of(body)), handler);
        }

        private JsonNode array(JsonNode state, String field, String s) throws DefinitionException {
            JsonNode value = state.get(field);
            if (value == null) {
                return JsonNodeFactory.instance.arrayNode();
            }
            if (!value.isArray()) {
                throw new DefinitionException(s + "/" + field, field + " is an array");
            }
            return value;
        }

        /** The then of the state's own step: its Next, unless tries around it carry the Next. */
        private Then coreThen(JsonNode state, String s) throws DefinitionException {
            Then then = then(state, s);
            boolean wrapped = state.has("Retry") && !state.get("Retry").isEmpty()
                    || state.has("Catch") && !state.get("Catch").isEmpty();
            return wrapped ? new Then.Continue() : then;
        }

        private Then then(JsonNode state, String s) throws DefinitionException {
            boolean end = state.has("End");
            if (end && !(state.get("End").isBoolean() && state.get("End").booleanValue())) {
                throw new DefinitionException(s + "/End", "End, when given, is true");
            }
            if (end == state.has("Next")) {
                throw new DefinitionException(s, "a state has either Next or \"End\": true");
            }
            return end ? end() : new Then.GoTo(next(state, s));
        }

        /** End ends the run at the top level, and only the branch or the iteration inside one. */
        private Then end() {
            return scope.top() ? new Then.End() : new Then.Exit();
        }

        private String next(JsonNode node, String s) throws DefinitionException {
            JsonNode next = node.get("Next");
            if (next == null) {
                throw new DefinitionException(s + "/Next", "Next is required");
            }
            return target(next, s + "/Next");
        }

        private String target(JsonNode next, String where) throws DefinitionException {
            if (!next.isTextual() || !names.contains(next.textValue())) {
                throw new DefinitionException(where, "no state of this state machine is named '" + next.asText() + "'");
            }
            return next.textValue();
        }

        private String inputPath(JsonNode state, String s) throws DefinitionException {
            JsonNode path = state.get("InputPath");
            if (path == null) {
                return ".";
            }
            if (path.isNull()) {
                return "{}";
            }
            return JsonPaths.jq(text(state, "InputPath", s), s + "/InputPath", scope);
        }

        /**
         * The jq shaping a raw result: {@code result} (the result as the state sees it), then
         * ResultSelector, ResultPath into {@code $input}, OutputPath; empty when it changes nothing.
         */
        private Optional<String> output(JsonNode state, String s, String result) throws DefinitionException {
            List<String> stages = new ArrayList<>();
            if (!result.equals(".")) {
                stages.add(result);
            }
            if (state.has("ResultSelector")) {
                JsonNode selector = state.get("ResultSelector");
                if (!selector.isObject()) {
                    throw new DefinitionException(s + "/ResultSelector", "ResultSelector is an object");
                }
                stages.add(Payloads.jq(selector, s + "/ResultSelector", scope, "."));
            }
            String merge = resultPath(state, s);
            if (!merge.isEmpty()) {
                stages.add(merge);
            }
            return outputPath(state, s, stages);
        }

        /** The stage merging the result ({@code .}) into {@code $input} at ResultPath; empty for {@code $}. */
        private String resultPath(JsonNode node, String s) throws DefinitionException {
            JsonNode path = node.get("ResultPath");
            if (path == null) {
                return "";
            }
            if (path.isNull()) {
                return "$input";
            }
            if (!path.isTextual()) {
                throw new DefinitionException(s + "/ResultPath", "ResultPath is a JSONPath or null");
            }
            List<Object> segments = JsonPaths.reference(path.textValue(), s + "/ResultPath");
            return segments.isEmpty() ? "" : ". as $result | $input | setpath(" + JsonPaths.array(segments) + "; $result)";
        }

        private Optional<String> outputPath(JsonNode state, String s, List<String> before) throws DefinitionException {
            List<String> stages = new ArrayList<>(before);
            JsonNode path = state.get("OutputPath");
            if (path != null && path.isNull()) {
                stages.add("{}");
            } else if (path != null) {
                String jq = JsonPaths.jq(text(state, "OutputPath", s), s + "/OutputPath", scope);
                if (!jq.equals(".")) {
                    stages.add(jq);
                }
            }
            return stages.isEmpty() ? Optional.empty() : Optional.of(String.join(" | ", stages));
        }

        private static Task withOutput(Task task, Optional<String> jq) {
            return jq.map(value -> task.withOutputAs(expression(value))).orElse(task);
        }

        private static String text(JsonNode state, String field, String s) throws DefinitionException {
            JsonNode value = state.get(field);
            if (value == null || !value.isTextual()) {
                throw new DefinitionException(s + "/" + field, field + " is required, a string");
            }
            return value.textValue();
        }
    }

    private static JsonNode expression(String jq) {
        return TextNode.valueOf("${ " + jq + " }");
    }
}
