// Graph building and validation: every malformed graph is refused with a message that names
// the node.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

namespace {

struct Identity final : sw::NodeSpec {
  Identity(std::string name) : NodeSpec(std::move(name), "identity", sw::NodeKind::transform, {}) {
    add_port<int>();
  }
  std::unique_ptr<sw::OperatorInstance> instantiate(const sw::InstanceContext&) const override {
    return nullptr;
  }
  std::type_index input_type() const noexcept override { return typeid(int); }
};

auto numbers(sw::Graph& g, std::string name = "numbers") {
  return g.source(std::move(name), sw::from({1, 2, 3}));
}

}  // namespace

TEST_CASE("a well-formed graph validates") {
  sw::Graph g{"ok"};
  std::vector<int> out;
  numbers(g).map("twice", [](int v) { return 2 * v; }).sink("out", sw::collect(out));
  CHECK_NOTHROW(g.validate());
  CHECK(g.node_count() == 3);
  CHECK(g.edges().size() == 2);
}

TEST_CASE("duplicate node names are refused at once") {
  sw::Graph g{"dup"};
  auto s = numbers(g);
  s.map("step", [](int v) { return v; }).sink("out", sw::discard());
  CHECK_THROWS_WITH(
      s.filter("step", [](int) { return true; }),
      Catch::Contains("duplicate node name 'step'") && Catch::Contains("graph 'dup'"));
}

TEST_CASE("a stream nobody consumes names its node") {
  sw::Graph g{"dangling"};
  auto s = numbers(g);
  s.sink("out", sw::discard());
  s.map("lonely", [](int v) { return v + 1; });
  CHECK_THROWS_WITH(g.validate(),
                    Catch::Contains("node 'lonely' (map)") && Catch::Contains("not consumed"));
}

TEST_CASE("a graph without a sink is refused") {
  sw::Graph g{"nosink"};
  sw::Graph empty{"empty"};
  numbers(g);
  CHECK_THROWS_WITH(g.validate(),
                    Catch::Contains("node 'numbers'") && Catch::Contains("not consumed"));
  CHECK_THROWS_WITH(empty.validate(), Catch::Contains("graph 'empty'") && Catch::Contains("empty"));
}

TEST_CASE("a graph whose only consumers are transforms has no sink") {
  sw::Graph g{"nosink"};
  auto s = numbers(g);
  // A merge that consumes the stream but feeds nothing is unconsumed itself.
  auto m = s.merge_as("joined", {}, s);
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("node 'joined' (merge)"));
}

TEST_CASE("parallelism 0, batch size 0 and capacity 0 name the node") {
  sw::Graph g{"zero"};
  auto s = numbers(g);
  auto m = s.map("m", [](int v) { return v; });
  m.sink("out", sw::discard());
  m.parallelism(0);
  CHECK_THROWS_WITH(g.validate(),
                    Catch::Contains("node 'm' (map)") && Catch::Contains("parallelism"));
  m.parallelism(1).batch_size(0);
  CHECK_THROWS_WITH(g.validate(),
                    Catch::Contains("node 'm' (map)") && Catch::Contains("batch size"));
  m.batch_size(8).channel_capacity(0);
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("node 'm' (map)") && Catch::Contains("capacity"));
  m.channel_capacity(2);
  CHECK_NOTHROW(g.validate());
}

TEST_CASE("a cycle is refused and names a node on it") {
  sw::Graph g{"loop"};
  auto s = numbers(g);
  const sw::NodeId a = g.add_node(std::make_unique<Identity>("a"));
  const sw::NodeId b = g.add_node(std::make_unique<Identity>("b"));
  g.add_edge({s.node(), 0, a});
  g.add_edge({a, 0, b});
  g.add_edge({b, 0, a});
  sw::Stream<int>(g, b, 0).sink("out", sw::discard());
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("cycle") &&
                                      (Catch::Contains("node 'a'") || Catch::Contains("node 'b'")));
}

TEST_CASE("edges between mismatched types or into a source are refused") {
  sw::Graph g{"types"};
  auto s = numbers(g);
  auto words = g.source("words", sw::from({std::string("a")}));
  const sw::NodeId a = g.add_node(std::make_unique<Identity>("a"));
  CHECK_THROWS_WITH(g.add_edge({words.node(), 0, a}), Catch::Contains("node 'a'"));
  CHECK_THROWS_WITH(g.add_edge({a, 0, s.node()}), Catch::Contains("is a source"));
  CHECK_THROWS_WITH(g.add_edge({a, 5, a}), Catch::Contains("no output port 5"));
}

TEST_CASE("merging streams of two graphs is refused") {
  sw::Graph g1{"one"};
  sw::Graph g2{"two"};
  auto a = numbers(g1, "a");
  auto b = numbers(g2, "b");
  auto c = numbers(g2, "c");
  (void)c;
  CHECK_THROWS_AS(a.merge(b, c), sw::GraphError);
}

TEST_CASE("error policies are checked against the node kind and the dead-letter stream") {
  sw::Graph g{"policies"};
  auto s = numbers(g);
  auto m = s.map("m", [](int v) { return v; });
  m.sink("out", sw::discard());

  m.on_error(sw::ErrorPolicy::dead_letter());
  CHECK_THROWS_WITH(g.validate(),
                    Catch::Contains("node 'm' (map)") && Catch::Contains("dead_letters()"));
  m.dead_letters().sink("errors", sw::discard());
  CHECK_NOTHROW(g.validate());
  m.on_error(sw::ErrorPolicy::skip());
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("node 'm' (map)") && Catch::Contains("skip"));

  sw::Graph g2{"source-policy"};
  numbers(g2).on_error(sw::ErrorPolicy::skip()).sink("out", sw::discard());
  CHECK_THROWS_WITH(g2.validate(),
                    Catch::Contains("node 'numbers' (from)") && Catch::Contains("stop"));
}

TEST_CASE("unique_name finds a free name") {
  sw::Graph g{"names"};
  numbers(g, "merge");
  CHECK(g.unique_name("x") == "x");
  CHECK(g.unique_name("merge") == "merge-2");
}

TEST_CASE("to_dot shows nodes with parallelism, edges with partitioning and fused chains") {
  sw::Graph g{"dot \"q\""};
  std::vector<std::pair<int, long>> unused;
  auto s = numbers(g);
  s.parallelism(2);
  auto m = s.map("m", [](int v) { return v; });
  m.parallelism(2);
  m.key_by([](int v) { return v % 3; })
      .reduce("sum", [](long acc, int v) { return acc + v; })
      .parallelism(3)
      .sink("out", sw::discard(), {.parallelism = 3});
  m.rebalance().sink("all", sw::discard(), {.parallelism = 1});
  const std::string dot = sw::to_dot(g, {.threads = 2});
  CHECK_THAT(dot, Catch::StartsWith("digraph \"dot \\\"q\\\"\" {"));
  CHECK_THAT(dot, Catch::Contains("label=\"m\\nmap ×2\""));
  CHECK_THAT(dot, Catch::Contains("label=\"sum\\naggregate ×3\""));
  CHECK_THAT(dot, Catch::Contains("n0 -> n1 [label=\"forward (fused)\""));
  CHECK_THAT(dot, Catch::Contains("n1 -> n2 [label=\"hash\"]"));
  CHECK_THAT(dot, Catch::Contains("n2 -> n3 [label=\"forward (fused)\""));
  CHECK_THAT(dot, Catch::Contains("n1 -> n4 [label=\"rebalance\"]"));
  CHECK_THAT(dot, Catch::Contains("subgraph cluster_chain0"));
  CHECK_THAT(dot, Catch::EndsWith("}\n"));
}
