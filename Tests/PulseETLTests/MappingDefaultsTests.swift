import PulseETL
import Testing

@Suite struct MappingDefaultsTests {
    @Test func statusCategoriesMapToFlowSteps() {
        #expect(MappingDefaults.statusTarget(category: "new") == .toDo)
        #expect(MappingDefaults.statusTarget(category: "indeterminate") == .inProgress)
        #expect(MappingDefaults.statusTarget(category: "done") == .done)
        #expect(MappingDefaults.statusTarget(category: "undefined") == nil)
        #expect(MappingDefaults.statusTarget(category: nil) == nil)
    }

    @Test func commonTypeNamesMapToNormalisedTypes() {
        let cases: [(String, WorkItemTypeTarget)] = [
            ("Incident", .incident), ("incident", .incident), ("Bug", .bug), ("Story", .story), ("Task", .task),
            ("Sub-task", .task), ("Subtask", .task), ("Sub-Task", .task), ("Epic", .epic), ("Spike", .other), ("", .other),
        ]
        for (name, target) in cases { #expect(MappingDefaults.workItemTypeTarget(name: name) == target, "\(name)") }
    }

    @Test func apiWordsAndStoredWordsConvertInOnePlace() {
        #expect(StatusTarget.allCases.map(\.apiWord) == ["to-do", "in-progress", "done"])
        #expect(StatusTarget.allCases.map(\.stored) == ["to_do", "in_progress", "done"])
        #expect(StatusTarget(apiWord: "in-progress") == .inProgress)
        #expect(StatusTarget(apiWord: "to_do") == .toDo)
        #expect(StatusTarget(apiWord: "doing") == nil)
        #expect(StatusTarget(stored: "in_progress") == .inProgress)
        #expect(StatusTarget(stored: "in-progress") == nil)
    }
}
