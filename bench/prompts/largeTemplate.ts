/**
 * A realistic 1,000-line prompt template: a Prompty v1 front matter with inputs and sample, then system/user/assistant
 * sections with Markdown, Jinja loops, conditionals, filters and many `{{ }}` expressions.
 */
export function largeTemplate(lines = 1000): string {
  const head = [
    '---',
    'name: Large benchmark template',
    'description: A long system prompt with many sections, loops and variables.',
    'authors: [bench]',
    'model:',
    '  api: chat',
    '  parameters:',
    '    temperature: 0.2',
    '    max_tokens: 512',
    'inputs:',
    '  customer: {type: object}',
    '  documents: {type: array}',
    '  question: {type: string}',
    'sample:',
    '  customer: {name: Ada, tier: gold, orders: [{id: 1, item: tent}, {id: 2, item: stove}]}',
    '  documents: [{title: Tents, body: Waterproof tents.}, {title: Stoves, body: Light stoves.}]',
    '  question: Which tent should I buy?',
    '---',
  ];
  const body: string[] = ['system:'];
  let section = 0;
  while (head.length + body.length < lines - 3) {
    section++;
    body.push(
      `# Section ${section}`,
      `You are helping {{ customer.name }} (tier {{ customer.tier | upper }}). Rule ${section}: answer briefly.`,
      '{% for order in customer.orders %}',
      `- order {{ order.id }}: {{ order.item | title }}{% if loop.last %} (latest){% endif %}`,
      '{% endfor %}',
      '{# documents relevant to this section #}',
      '{% for doc in documents %}',
      `## {{ doc.title }} ({{ loop.index }} of {{ documents | length }})`,
      '{{ doc.body | trim }}',
      '{% endfor %}',
      '',
    );
  }
  body.push('user:', '{{ question }}');
  return [...head, ...body].slice(0, lines).join('\n') + '\n';
}
