"""What a merge writes for people and tools: results.json, the consolidated workbook and the terminal summary."""
