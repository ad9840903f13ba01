"""Action plans: what they say (the context), the Word documents, the Excel tracker and the charts."""
