import { type Browser, test as base, expect, type Page } from '@playwright/test';

/** One person in a jam: their own browser context (own storage, own connection) and page. */
export interface Person {
  name: string;
  page: Page;
}

async function newPerson(
  browser: Browser,
  name: string,
  viewport = { width: 1280, height: 800 },
): Promise<Person> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  return { name, page };
}

/**
 * Opens the landing page, types a name and hosts a jam; returns the room code shown. `origin` is
 * the server's (default: the project's baseURL).
 */
export async function hostJam(person: Person, query = '', origin = ''): Promise<string> {
  await person.page.goto(`${origin}/${query}`);
  await person.page.getByTestId('name-input').fill(person.name);
  await person.page.getByTestId('host-button').click();
  const code = person.page.getByTestId('room-code');
  await expect(code).toHaveAttribute('data-code', /^[0-9A-Z]{6}$/);
  return (await code.getAttribute('data-code')) as string;
}

/** Opens the landing page, types a name and the code, and joins. */
export async function joinJam(person: Person, code: string, query = '', origin = ''): Promise<void> {
  await person.page.goto(`${origin}/${query}`);
  await person.page.getByTestId('name-input').fill(person.name);
  await person.page.getByTestId('code-input').fill(code);
  await person.page.getByTestId('join-button').click();
  await expect(person.page.getByTestId('room-code')).toHaveAttribute('data-code', code.toUpperCase());
}

/** Waits until a page's member list shows exactly these names, in order. */
export async function expectMembers(page: Page, names: string[]): Promise<void> {
  await expect(page.getByTestId('member')).toHaveCount(names.length);
  await expect(page.getByTestId('member')).toContainText(names);
}

export const test = base.extend<{
  person: (name: string, viewport?: { width: number; height: number }) => Promise<Person>;
}>({
  person: async ({ browser }, use) => {
    const made: Person[] = [];
    await use(async (name, viewport) => {
      const p = await newPerson(browser, name, viewport);
      made.push(p);
      return p;
    });
    await Promise.all(made.map((p) => p.page.context().close()));
  },
});

export { expect };
